import { parseArgs } from "node:util";
import { createEdgeClient, saveCreds, saveDeviceFile } from "../device";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { loadDeviceState } from "./vault-session";

const HELP = `Gets a fresh NATS user JWT for this device from its edge (device.json's api) with a
request signed by the device's Ed25519 key, and rewrites DIR/nats.creds and the
servers, expiry and subjects in DIR/device.json. Run it when NATS says the
credentials expired.

  --state DIR   the device's state directory (default: VETTID_STATE)
  --json        print {deviceId, natsExpiresAt, servers}

exit: 0 refreshed, 1 refused or failed (e.g. DEVICE_REVOKED), 2 usage`;

/** `vettid refresh`: renews the device's NATS credentials. */
export const refreshCommand: Command = {
  name: "refresh",
  summary: "renew this device's NATS credentials (signed request); rewrites DIR/nats.creds",
  usage: "vettid refresh [--state DIR] [--json]",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { state: { type: "string" }, json: { type: "boolean" } },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const { dir, device, keys } = loadDeviceState(values.state, io.env);
    const fresh = await createEdgeClient({ baseUrl: device.api }).refreshCredentials(device.deviceId, keys);
    saveCreds(dir, fresh.nats.jwt, keys);
    saveDeviceFile(dir, {
      ...device,
      nats: { servers: fresh.nats.servers, expiresAt: fresh.nats.expiresAt },
      subjects: fresh.subjects,
    });
    if (values.json) {
      printJson(io, { deviceId: device.deviceId, natsExpiresAt: fresh.nats.expiresAt, servers: fresh.nats.servers });
    } else {
      io.stdout(`refreshed NATS credentials of ${device.deviceId}; valid until ${fresh.nats.expiresAt}\n`);
    }
    return 0;
  },
};

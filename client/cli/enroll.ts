import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { INVITATION_CODE_PATTERN } from "../../lib/edge";
import {
  createEdgeClient,
  generateDeviceKeys,
  loadDeviceFile,
  loadDeviceKeys,
  saveDeviceKeys,
  saveEnrollment,
} from "../device";
import { type CliIo, type Command, UsageError } from "./command";
import { readLocalEndpoints } from "./local-endpoints";

/** `vettid enroll`: acts as a new device (keys generated locally) and enrolls it. */
export const enrollCommand: Command = {
  name: "enroll",
  summary: "enroll a new device with an invitation code; writes DIR/device.json and DIR/nats.creds",
  usage: "vettid enroll --api URL --invite CODE --state DIR [--name NAME]",
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        api: { type: "string" },
        invite: { type: "string" },
        state: { type: "string" },
        name: { type: "string" },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const api = values.api ?? readLocalEndpoints(io.env)?.rest;
    if (!api) throw new UsageError("--api is required (no local topology found)");
    if (!/^https?:\/\//.test(api)) throw new UsageError("--api must be an http(s) URL");
    if (!values.invite) throw new UsageError("--invite is required");
    if (!INVITATION_CODE_PATTERN.test(values.invite))
      throw new UsageError("--invite must look like XXXX-XXXX-XXXX-XXXX");
    if (!values.state) throw new UsageError("--state is required");
    const dir = resolve(values.state);
    if (loadDeviceFile(dir)) throw new Error(`${dir} already holds an enrolled device`);
    // keys are generated once and kept, so a retried enrollment is the same device (idempotent)
    const keys = loadDeviceKeys(dir) ?? generateDeviceKeys();
    saveDeviceKeys(dir, keys);
    const enrollment = await createEdgeClient({ baseUrl: api }).enroll(values.invite, keys, values.name);
    const device = saveEnrollment(dir, api, keys, enrollment);
    io.stdout(`enrolled device ${device.deviceId} (vault ${device.vaultId}); state in ${dir}\n`);
    return 0;
  },
};

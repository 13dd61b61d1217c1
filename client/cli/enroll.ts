import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type EnrollmentResponse, INVITATION_CODE_PATTERN } from "../../lib/edge";
import { isVettidError } from "../../lib/errors";
import {
  createEdgeClient,
  deleteDeviceKeys,
  generateDeviceKeys,
  loadDeviceFile,
  loadDeviceKeys,
  STATE_FILES,
  saveDeviceKeys,
  saveEnrollment,
} from "../device";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { readLocalEndpoints } from "./local-endpoints";

const HELP = `Acts as a new device: generates its Ed25519, X25519 and NATS keys in DIR (private
halves never leave it), enrolls them with the invitation code, and writes
DIR/device.json (ids, public keys, servers, subjects) and DIR/nats.creds.

  --api URL        the REST edge (default: the local topology's, from .vettid/local/endpoints.json)
  --invite CODE    the invitation code (XXXX-XXXX-XXXX-XXXX)
  --state DIR      the device's state directory
  --name NAME      a name for the device, shown in device lists
  --json           print {userId, deviceId, vaultId, stateDir, natsExpiresAt}

A refused enrollment (a used, expired or invalid invitation, bad input, a vault id
that does not commit to the keys) leaves no private key behind. When the edge could
not be reached, the keys stay in DIR/device-keys.json and the same command retries
as the same device.

exit: 0 enrolled, 1 refused or failed, 2 usage`;

/**
 * True when the edge answered this enrollment with a definitive refusal: the same
 * keys can never complete it, so they are not kept. An unreachable edge, a timeout
 * or a rate limit may still let a retry succeed (the edge is idempotent for the same
 * invitation and device key), and an unparsable success might have enrolled.
 */
function definitiveRefusal(err: unknown): boolean {
  if (!isVettidError(err)) return false;
  if (err.code === "VAULT_ID_MISMATCH") return true;
  const status = err.details?.status;
  return typeof status === "number" && status >= 400 && status < 500 && !err.retryable;
}

/** `vettid enroll`: acts as a new device (keys generated locally) and enrolls it. */
export const enrollCommand: Command = {
  name: "enroll",
  summary: "enroll a new device with an invitation code; writes DIR/device.json and DIR/nats.creds",
  usage: "vettid enroll --api URL --invite CODE --state DIR [--name NAME] [--json]",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        api: { type: "string" },
        invite: { type: "string" },
        state: { type: "string" },
        name: { type: "string" },
        json: { type: "boolean" },
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
    const createdDir = !existsSync(dir);
    // keys are generated once and kept while the enrollment may still complete, so a retry is the same device
    const keys = loadDeviceKeys(dir) ?? generateDeviceKeys();
    saveDeviceKeys(dir, keys);
    let enrollment: EnrollmentResponse;
    try {
      enrollment = await createEdgeClient({ baseUrl: api }).enroll(values.invite, keys, values.name);
    } catch (err) {
      if (definitiveRefusal(err)) {
        deleteDeviceKeys(dir, { removeEmptyDir: createdDir });
      } else if (isVettidError(err)) {
        err.message = `${err.message} (keys kept in ${dir}/${STATE_FILES.keys}; the same command retries)`;
      }
      throw err;
    }
    const device = saveEnrollment(dir, api, keys, enrollment);
    if (values.json) {
      printJson(io, {
        userId: device.userId,
        deviceId: device.deviceId,
        vaultId: device.vaultId,
        stateDir: dir,
        natsExpiresAt: device.nats.expiresAt,
      });
    } else {
      io.stdout(`enrolled device ${device.deviceId} (vault ${device.vaultId}); state in ${dir}\n`);
    }
    return 0;
  },
};

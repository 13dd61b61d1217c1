import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { sodiumReady } from "../../lib/crypto";
import { type EnrollmentResponse, INVITATION_CODE_PATTERN } from "../../lib/edge";
import { isVettidError } from "../../lib/errors";
import type { PairingCode } from "../../lib/pairing";
import {
  createEdgeClient,
  type DeviceFile,
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
import { type JoinResult, joinByCode } from "./pairing-join";
import { trustFlags, type Values } from "./vault-command";
import { pairingCodeOption } from "./vault-devices";
import { loadDeviceState } from "./vault-session";

const HELP = `Acts as a new device: generates its Ed25519, X25519 and NATS keys in DIR (private
halves never leave it), enrolls them with the invitation code, and writes
DIR/device.json (ids, public keys, servers, subjects) and DIR/nats.creds.

With an operator's invitation (16 symbols) the device founds a new vault (vettid vault
init next). With a pairing code from vettid vault add-device on a device of a vault
(68 symbols), it joins that vault: only the code's invitation part goes to the edge,
which enrolls the device into the inviting device's vault; then, in the device's own
end-to-end session, it checks that the vault's identity key is the one the code names
(VAULT_IDENTITY_MISMATCH otherwise, before anything is proved) and proves the code's
secret. It prints the code to compare with the approving device and its key
fingerprint; it opens nothing until approved there (vettid vault approve).

  --api URL        the REST edge (default: the local topology's, from .vettid/local/endpoints.json)
  --invite CODE    an invitation code (XXXX-XXXX-XXXX-XXXX) or a pairing code
  --state DIR      the device's state directory
  --name NAME      a name for the device, shown in device lists (and, joining, in the vault's)
  --json           print {userId, deviceId, vaultId, stateDir, natsExpiresAt}, and when
                   joining, pairing: {status: "pending", sas, fingerprint, identityKey}
  --root F, --manifest F, --manifest-key F
                   joining only: what the enclave's attestation is checked against (as
                   for vettid vault; defaults from the local topology)

A refused enrollment (a used, expired or invalid invitation, bad input, a vault id
that does not commit to the keys) leaves no private key behind. When the edge could
not be reached, the keys stay in DIR/device-keys.json and the same command retries
as the same device. When the device enrolled but its join did not complete, it stays
enrolled: vettid vault pair --code CODE --state DIR runs the join again.

exit: 0 enrolled (and joined), 1 refused or failed, 2 usage`;

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
        root: { type: "string", multiple: true },
        manifest: { type: "string" },
        "manifest-key": { type: "string" },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const api = values.api ?? readLocalEndpoints(io.env)?.rest;
    if (!api) throw new UsageError("--api is required (no local topology found)");
    if (!/^https?:\/\//.test(api)) throw new UsageError("--api must be an http(s) URL");
    if (!values.invite) throw new UsageError("--invite is required");
    await sodiumReady();
    const pairing = INVITATION_CODE_PATTERN.test(values.invite)
      ? undefined
      : pairingCodeOption(
          "--invite (neither an invitation code XXXX-XXXX-XXXX-XXXX nor a pairing code)",
          values.invite,
        );
    if (!values.state) throw new UsageError("--state is required");
    if (values.name !== undefined && (values.name.length < 1 || values.name.length > 64))
      throw new UsageError("--name must be 1..64 characters");
    const dir = resolve(values.state);
    if (loadDeviceFile(dir)) throw new Error(`${dir} already holds an enrolled device`);
    const createdDir = !existsSync(dir);
    // keys are generated once and kept while the enrollment may still complete, so a retry is the same device
    const keys = loadDeviceKeys(dir) ?? generateDeviceKeys();
    saveDeviceKeys(dir, keys);
    let enrollment: EnrollmentResponse;
    const edge = createEdgeClient({ baseUrl: api });
    try {
      enrollment = pairing
        ? await edge.enrollByPairing(pairing.invitationCode, keys, values.name)
        : await edge.enroll(values.invite, keys, values.name);
    } catch (err) {
      if (definitiveRefusal(err)) {
        deleteDeviceKeys(dir, { removeEmptyDir: createdDir });
      } else if (isVettidError(err)) {
        err.message = `${err.message} (keys kept in ${dir}/${STATE_FILES.keys}; the same command retries)`;
      }
      throw err;
    }
    const device = saveEnrollment(
      dir,
      api,
      keys,
      enrollment,
      pairing ? { identityFingerprint: Buffer.from(pairing.identityFingerprint).toString("hex") } : undefined,
    );
    if (pairing) return join(dir, pairing, values, io);
    if (values.json) {
      printJson(io, enrolledView(device, dir));
    } else {
      io.stdout(`enrolled device ${device.deviceId} (vault ${device.vaultId}); state in ${dir}\n`);
    }
    return 0;
  },
};

/** What `enroll --json` prints of an enrolled device. */
function enrolledView(device: DeviceFile, dir: string) {
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    vaultId: device.vaultId,
    stateDir: dir,
    natsExpiresAt: device.nats.expiresAt,
  };
}

/** The second half of enrolling by a pairing code: the join, in the device's own session. */
async function join(
  dir: string,
  code: PairingCode,
  values: { name?: string | undefined; json?: boolean | undefined } & Record<string, unknown>,
  io: CliIo,
): Promise<number> {
  const state = loadDeviceState(dir, io.env);
  const { device } = state;
  let result: JoinResult;
  try {
    result = await joinByCode(state, code, values.name ?? "new device", trustFlags(values as Values), io);
  } catch (err) {
    if (err instanceof Error) {
      err.message = `${err.message} (device ${device.deviceId} is enrolled in vault ${device.vaultId} but did not join it; vettid vault pair --code CODE --state ${dir} tries again)`;
    }
    throw err;
  } finally {
    code.secret.fill(0);
  }
  if (values.json) {
    printJson(io, { ...enrolledView(device, dir), pairing: { status: "pending", ...result } });
  } else {
    io.stdout(
      `enrolled device ${device.deviceId} into vault ${device.vaultId} by pairing; state in ${dir}\n` +
        `code ${result.sas}\nfingerprint ${result.fingerprint}\n` +
        "compare both with the approving device, then approve this device there (vettid vault approve)\n",
    );
  }
  return 0;
}

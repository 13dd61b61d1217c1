import { resolve } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { findRelease, type Release } from "../../lib/manifest";
import { deviceInboxPrefix, vaultRequestSubject } from "../../lib/subjects";
import {
  checkDeviceKeys,
  type DeviceFile,
  type DeviceKeys,
  loadDeviceFile,
  loadDeviceKeys,
  loadSeenManifest,
  loadVaultFile,
  saveSeenManifest,
  saveVaultFile,
  type VaultFile,
} from "../device";
import { VaultClient, VaultOperationError } from "../vault";
import { type CliIo, UsageError } from "./command";
import { connectDevice, natsGather, natsTransport } from "./nats-connection";
import { resolveTrust, type TrustFlags, type TrustMaterial } from "./trust-material";

/** The options every command that talks to the vault takes (node:util parseArgs). */
export const DEVICE_OPTIONS = {
  state: { type: "string" },
  root: { type: "string", multiple: true },
  manifest: { type: "string" },
  "manifest-key": { type: "string" },
  json: { type: "boolean" },
} as const;

/** The help lines of {@link DEVICE_OPTIONS}. */
export const DEVICE_OPTIONS_HELP = `  --state DIR        the device's state directory (default: VETTID_STATE)
  --json             print the result as JSON
  --root F           trust this root certificate instead of the AWS Nitro root (a local
                     topology on loopback only; default there: its dev root)
  --manifest F       check PCRs against this signed manifest instead of the one the edge serves
  --manifest-key F   the release key set (JSON) whose threshold must sign the manifest (default:
                     the local topology's; elsewhere required until a set is built in)`;

/** A device's state directory, loaded. */
export interface DeviceState {
  dir: string;
  device: DeviceFile;
  keys: DeviceKeys;
  memory: VaultFile;
}

/** Loads and checks the device in `--state DIR` (or `VETTID_STATE`). */
export function loadDeviceState(state: string | undefined, env: NodeJS.ProcessEnv): DeviceState {
  const given = state ?? env.VETTID_STATE;
  if (!given) throw new UsageError("--state DIR is required (or set VETTID_STATE)");
  const dir = resolve(given);
  let device: DeviceFile | undefined;
  let keys: DeviceKeys | undefined;
  try {
    device = loadDeviceFile(dir);
    keys = loadDeviceKeys(dir);
  } catch (err) {
    throw new Error(`cannot read the device in ${dir}: ${(err as Error).message}`);
  }
  if (!device || !keys) throw new UsageError(`no enrolled device in ${dir} (run vettid enroll first)`);
  try {
    checkDeviceKeys(keys);
  } catch (err) {
    throw new Error(`${dir}: device keys are inconsistent (${(err as Error).message})`);
  }
  if (keys.signing.publicKey !== device.publicKeys.signing || keys.exchange.publicKey !== device.publicKeys.exchange) {
    throw new Error(`${dir}: device.json and device-keys.json belong to different devices`);
  }
  if (device.subjects.request !== vaultRequestSubject(device.vaultId, device.deviceId)) {
    throw new Error(`${dir}: device.json's request subject does not belong to its vault and device`);
  }
  return { dir, device, keys, memory: loadVaultFile(dir) };
}

/** An attested, open connection to the device's vault for one command. */
export interface VaultSession {
  vault: VaultClient;
  state: DeviceState;
  trust: TrustMaterial;
  /** {@link VaultClient.call}, keeping track of whether this session is unlocked. */
  call: VaultClient["call"];
  /** Unlocks the vault in this session (the unlock ends with it). */
  unlock(pin: string): Promise<void>;
  /** The manifest release the verified attestation matched. */
  release(): Release | undefined;
}

/** Operations after which the session is unlocked (init and a completed recovery leave the new vault unlocked). */
const UNLOCKING: readonly string[] = ["vault.unlock", "vault.init", "pin.change", "recovery.complete"];

const bytes = (b64url: string) => new Uint8Array(Buffer.from(b64url, "base64url"));

/**
 * Opens one session to the device's vault, runs `work` in it, and closes it: verifies
 * the manifest (not older than the one this device saw), connects to NATS as the
 * device, attests the enclave and runs the handshake (client/vault), persists what
 * the device learns (DIR/vault.json) as it learns it, locks again if `work` unlocked,
 * and closes the connection. Sessions belong to this process, and so does an unlock.
 */
export async function withVaultSession<T>(
  state: DeviceState,
  flags: TrustFlags,
  io: CliIo,
  work: (session: VaultSession) => Promise<T>,
): Promise<T> {
  const { dir, device, keys } = state;
  const trust = await resolveTrust({
    device,
    flags,
    env: io.env,
    minSerial: state.memory.manifestSerial,
    seen: loadSeenManifest(dir),
  });
  saveSeenManifest(dir, trust.manifestText);
  const remember = (memory: Omit<VaultFile, "schema">) =>
    saveVaultFile(dir, { ...memory, manifestSerial: trust.manifest.serial });
  const { schema: _schema, ...known } = state.memory;
  remember(known);

  const nc: NatsConnection = await connectDevice(dir, device);
  const vault = new VaultClient({
    vaultId: device.vaultId,
    deviceId: device.deviceId,
    deviceKey: { publicKey: bytes(keys.exchange.publicKey), privateKey: bytes(keys.exchange.privateKey) },
    transport: natsTransport(nc, device.subjects.request, { servers: device.nats.servers, dir }),
    gather: natsGather(nc, device.subjects.request, deviceInboxPrefix(device.deviceId), {
      servers: device.nats.servers,
      dir,
    }),
    attestation: { ...(trust.trustedRoots ? { trustedRoots: trust.trustedRoots } : {}), manifest: trust.manifest },
    memory: {
      stateVersion: state.memory.stateVersion,
      ...(state.memory.identityKey !== undefined ? { identityKey: state.memory.identityKey } : {}),
      ...(state.memory.audit !== undefined ? { audit: state.memory.audit } : {}),
      ...(state.memory.changes !== undefined ? { changes: state.memory.changes } : {}),
      ...(state.memory.silent !== undefined ? { silent: state.memory.silent } : {}),
    },
    // a device that joined by pairing trusts the identity key its code named, never another
    ...(device.pairing
      ? { expectedIdentity: new Uint8Array(Buffer.from(device.pairing.identityFingerprint, "hex")) }
      : {}),
    remember,
    // the founder's opening of its vault id: a vault with no state admits no other key
    ...(device.vaultSalt && !device.pairing
      ? {
          founding: {
            signingKey: bytes(keys.signing.publicKey),
            vaultSalt: new Uint8Array(Buffer.from(device.vaultSalt, "base64url")),
          },
        }
      : {}),
  });
  let unlocked = false;
  let failure: unknown;
  const session: VaultSession = {
    vault,
    state,
    trust,
    async call(op, request) {
      const result = await vault.call(op, request);
      if (UNLOCKING.includes(op)) unlocked = true;
      if (op === "vault.lock") unlocked = false;
      return result;
    },
    async unlock(pin) {
      await session.call("vault.unlock", { op: "vault.unlock", pin });
    },
    release() {
      const verified = vault.attestation;
      return verified ? findRelease(trust.manifest, verified.pcrs) : undefined;
    },
  };
  try {
    return await work(session);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // the unlock would lapse on its own; ending it now leaves nothing behind this command
    if (unlocked && (failure === undefined || failure instanceof VaultOperationError)) {
      await vault.call("vault.lock", { op: "vault.lock" }).catch(() => undefined);
    }
    remember(vault.known);
    await nc.close().catch(() => undefined);
  }
}

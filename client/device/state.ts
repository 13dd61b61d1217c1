import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { EnrollmentResponse } from "../../lib/edge";
import { formatCreds } from "../../lib/nats-auth";
import type { DeviceKeys } from "./keys";

/** `DIR/device.json`: ids, public keys, servers and subjects (nothing secret). */
export interface DeviceFile {
  schema: "vettid.device/v1";
  api: string;
  userId: string;
  deviceId: string;
  vaultId: string;
  /** Salt of the vault id's commitment to this device's keys (base64url); the founding device sends it to `vault.init`. */
  vaultSalt?: string;
  publicKeys: { signing: string; exchange: string; nats: string };
  nats: { servers: string[]; expiresAt: string };
  subjects: EnrollmentResponse["subjects"];
  manifestUrl: string;
  /** Set for a device that joined its vault by a pairing code instead of founding it. */
  pairing?: DevicePairing;
}

/**
 * How a device joined its vault by pairing (docs/protocol.md §Pairing codes): the
 * vault id does not commit to its keys, so what it trusts is the identity key the
 * pairing code named.
 */
export interface DevicePairing {
  /** The identity fingerprint the pairing code carried (hex, 10 bytes). */
  identityFingerprint: string;
  /** The vault's identity key the device checked against it and pinned (base64url), once it has. */
  identityKey?: string;
  /** When the vault accepted this device's proof of the pairing secret (ISO 8601); then it waits for approval. */
  joinedAt?: string;
}

/** File names inside a device state directory. */
export const STATE_FILES = {
  device: "device.json",
  keys: "device-keys.json",
  creds: "nats.creds",
  vault: "vault.json",
  manifest: "pcr-manifest.json",
} as const;

/** Writes `text` to `path` through a temporary file and a rename, so a reader sees the old or the new file whole. */
export function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Stores a fresh device's keys (0600) before it enrolls, so a retry reuses them. */
export function saveDeviceKeys(dir: string, keys: DeviceKeys): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeAtomic(join(dir, STATE_FILES.keys), `${JSON.stringify(keys, null, 2)}\n`, 0o600);
}

/**
 * Deletes the device's private keys (after a definitive enrollment refusal); with
 * `removeEmptyDir`, also the directory when nothing else is left in it.
 */
export function deleteDeviceKeys(dir: string, options: { removeEmptyDir?: boolean } = {}): void {
  rmSync(join(dir, STATE_FILES.keys), { force: true });
  if (!options.removeEmptyDir) return;
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // already gone
  }
}

export function loadDeviceKeys(dir: string): DeviceKeys | undefined {
  const path = join(dir, STATE_FILES.keys);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as DeviceKeys) : undefined;
}

/**
 * Stores the enrollment: device.json, and nats.creds (JWT + the device's own seed, 0600);
 * `pairing` for a device that joins by a pairing code.
 */
export function saveEnrollment(
  dir: string,
  api: string,
  keys: DeviceKeys,
  enrollment: EnrollmentResponse,
  pairing?: DevicePairing,
): DeviceFile {
  const device: DeviceFile = {
    schema: "vettid.device/v1",
    api,
    userId: enrollment.userId,
    deviceId: enrollment.deviceId,
    vaultId: enrollment.vaultId,
    ...(enrollment.vaultSalt !== undefined ? { vaultSalt: enrollment.vaultSalt } : {}),
    publicKeys: { signing: keys.signing.publicKey, exchange: keys.exchange.publicKey, nats: keys.nats.publicKey },
    nats: { servers: enrollment.nats.servers, expiresAt: enrollment.nats.expiresAt },
    subjects: enrollment.subjects,
    manifestUrl: enrollment.manifestUrl,
    ...(pairing ? { pairing } : {}),
  };
  saveDeviceFile(dir, device);
  saveCreds(dir, enrollment.nats.jwt, keys);
  return device;
}

/** Writes `DIR/device.json` (nothing secret in it, so 0644). */
export function saveDeviceFile(dir: string, device: DeviceFile): void {
  writeAtomic(join(dir, STATE_FILES.device), `${JSON.stringify(device, null, 2)}\n`, 0o644);
}

/** Writes `DIR/nats.creds` (a standard NATS credentials file). */
export function saveCreds(dir: string, jwt: string, keys: DeviceKeys): void {
  writeAtomic(join(dir, STATE_FILES.creds), formatCreds(jwt, keys.nats.seed), 0o600);
}

export function loadDeviceFile(dir: string): DeviceFile | undefined {
  const path = join(dir, STATE_FILES.device);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as DeviceFile) : undefined;
}

import { randomBytes } from "node:crypto";
import {
  type DeviceFile,
  type DeviceKeys,
  generateDeviceKeys,
  saveDeviceFile,
  saveDeviceKeys,
} from "../../../client/device";
import {
  deviceInboxPrefix,
  vaultBroadcastEventSubject,
  vaultDeviceEventSubject,
  vaultRequestSubject,
} from "../../../lib/subjects";
import { VAULT_SALT_BYTES, vaultIdFor } from "../../../lib/vault-id";

/** Where a test device's edge and NATS are. */
export interface DeviceDirOptions {
  deviceId?: string;
  api?: string;
  servers?: string[];
}

/**
 * Writes a device state directory as `vettid enroll` leaves it (device.json and
 * device-keys.json; no nats.creds, for a server without authentication), for a
 * founding device whose vault id commits to its fresh keys.
 */
export function writeDeviceDir(
  dir: string,
  options: DeviceDirOptions = {},
): { device: DeviceFile; keys: DeviceKeys; vaultSalt: Buffer } {
  const deviceId = options.deviceId ?? "dev-cli-1";
  const keys = generateDeviceKeys();
  const vaultSalt = randomBytes(VAULT_SALT_BYTES);
  const vaultId = vaultIdFor(
    {
      signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
      exchangeKey: Buffer.from(keys.exchange.publicKey, "base64url"),
    },
    vaultSalt,
  );
  const device: DeviceFile = {
    schema: "vettid.device/v1",
    api: options.api ?? "http://127.0.0.1:9",
    userId: "usr-cli-test",
    deviceId,
    vaultId,
    vaultSalt: vaultSalt.toString("base64url"),
    publicKeys: { signing: keys.signing.publicKey, exchange: keys.exchange.publicKey, nats: keys.nats.publicKey },
    nats: { servers: options.servers ?? ["nats://127.0.0.1:4222"], expiresAt: "2099-01-01T00:00:00Z" },
    subjects: {
      request: vaultRequestSubject(vaultId, deviceId),
      deviceEvents: vaultDeviceEventSubject(vaultId, deviceId),
      broadcastEvents: vaultBroadcastEventSubject(vaultId),
      inboxPrefix: deviceInboxPrefix(deviceId),
    },
    manifestUrl: "/v1/pcr-manifest",
  };
  saveDeviceKeys(dir, keys);
  saveDeviceFile(dir, device);
  return { device, keys, vaultSalt };
}

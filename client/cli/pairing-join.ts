import { VettidError } from "../../lib/errors";
import type { PairingCode } from "../../lib/pairing";
import { saveDeviceFile } from "../device";
import type { CliIo } from "./command";
import type { TrustFlags } from "./trust-material";
import { type DeviceState, withVaultSession } from "./vault-session";

/** What a join answers: the short authentication string, this device's key fingerprint, the identity key pinned. */
export interface JoinResult {
  sas: string;
  fingerprint: string;
  /** The vault's identity key (base64url), checked against the code and pinned. */
  identityKey: string;
}

/**
 * Runs the pairing join of a device (docs/protocol.md §Pairing codes): in one session
 * of its own, checks the vault's identity key against the code's fingerprint, proves
 * the secret, and records in DIR/device.json that the device joined by pairing and
 * which identity key it pinned (DIR/vault.json pins it too). The code's invitation is
 * not used here (the device is enrolled already). Until a join pinned an identity key,
 * another code may name another one (a person who was handed a wrong code retries with
 * the right one); once pinned, only that key's.
 * @throws VettidError `VAULT_IDENTITY_MISMATCH` when the code names another vault than
 *   the one this device pinned, or than the one it reaches; nothing is recorded.
 */
export async function joinByCode(
  state: DeviceState,
  code: PairingCode,
  label: string,
  flags: TrustFlags,
  io: CliIo,
): Promise<JoinResult> {
  const { dir, device } = state;
  const fingerprint = Buffer.from(code.identityFingerprint).toString("hex");
  if (device.vaultSalt !== undefined) {
    throw new VettidError("CONFLICT", "this device founded its vault; a pairing code is for a new device");
  }
  if (device.pairing?.identityKey !== undefined && device.pairing.identityFingerprint !== fingerprint) {
    throw new VettidError(
      "VAULT_IDENTITY_MISMATCH",
      "the pairing code names another vault than the one this device joined",
    );
  }
  const pairing = { identityFingerprint: fingerprint };
  const joining: DeviceState = { ...state, device: { ...device, pairing } };
  const result = await withVaultSession(joining, flags, io, (session) =>
    session.vault.joinPairing({
      secret: code.secret,
      signingKey: new Uint8Array(Buffer.from(device.publicKeys.signing, "base64url")),
      label,
      identityFingerprint: code.identityFingerprint,
    }),
  );
  const identityKey = Buffer.from(result.identityKey).toString("base64url");
  saveDeviceFile(dir, { ...device, pairing: { ...pairing, identityKey, joinedAt: new Date().toISOString() } });
  return { sas: result.sas, fingerprint: result.fingerprint, identityKey };
}

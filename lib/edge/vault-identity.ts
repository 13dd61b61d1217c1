import { verify } from "node:crypto";
import { VettidError } from "../errors";
import { MAX_STATEMENT_BYTES, parseRevocationStatement } from "../pairing/revocation-statement";
import type { DeviceRecord } from "../store";
import type { EdgeContext } from "./context";
import { authenticateDevice } from "./device-auth";
import { limitAttempts } from "./rate-limits";
import type { VaultIdentityRequest, VaultIdentityResponse } from "./schemas";
import { ed25519PublicKey } from "./signed-request";

/**
 * The founding device registers its vault's identity key, once, right after
 * `vault.init` (docs/decisions/0066): a request signed with the device's key, purpose
 * `vault-identity`, whose signature binds the identity key too (the message's last
 * line). Only the device that founded the vault (its record holds the vault salt) may;
 * the first key stays: registering it again is a no-op, another key is `CONFLICT`.
 * Peer revocations are then verified against this key ({@link requireVaultRevocation}).
 */
export async function registerVaultIdentity(
  ctx: EdgeContext,
  deviceId: string,
  request: VaultIdentityRequest,
  sourceIp: string,
): Promise<VaultIdentityResponse> {
  await limitAttempts(ctx.store, "perSource", sourceIp, ctx.now(), "vault-identity");
  const { identityKey, ...signed } = request;
  const device = await authenticateDevice(ctx, {
    purpose: "vault-identity",
    targetDeviceId: deviceId,
    signerDeviceId: deviceId,
    subject: identityKey,
    ...signed,
  });
  if (device.vaultSalt === undefined || device.invitedBy !== undefined) {
    throw new VettidError("FORBIDDEN", "only the device that founded the vault registers its identity key");
  }
  if (!(await ctx.store.setVaultIdentityKey(device.vaultId, identityKey))) {
    throw new VettidError("CONFLICT", "the vault has another identity key registered");
  }
  return { vaultId: device.vaultId, identityKey };
}

/**
 * A peer revocation needs the vault's word: the statement `device.revoke` answered,
 * signed by the vault's registered identity key, naming the signer's vault and the
 * target device. The vault signs one only for a session that gave the current PIN
 * and removed the device from its sealed state, so a thief holding a device but not
 * the PIN cannot cut the owner's other devices off NATS by REST alone. A device
 * revoking itself needs none (it can only lock itself out).
 * @throws VettidError `FORBIDDEN` when the statement is missing, malformed, for
 *   another vault or device, or not signed by the vault's key, or when the vault has
 *   no identity key registered.
 */
export async function requireVaultRevocation(
  ctx: EdgeContext,
  signer: DeviceRecord,
  targetDeviceId: string,
  statement: string | undefined,
  statementSignature: string | undefined,
): Promise<void> {
  if (signer.deviceId === targetDeviceId) return;
  const refuse = (why: string) => new VettidError("FORBIDDEN", why);
  if (statement === undefined || statementSignature === undefined) {
    throw refuse("revoking another device needs the vault's signed revocation statement");
  }
  const vault = await ctx.store.getVault(signer.vaultId);
  if (!vault?.identityKey) throw refuse("the vault has no identity key registered at the edge");
  const bytes = Buffer.from(statement, "base64url");
  const signature = Buffer.from(statementSignature, "base64url");
  if (bytes.length > MAX_STATEMENT_BYTES || signature.length !== 64) throw refuse("not a revocation statement");
  let named: { vaultId: string; deviceId: string };
  try {
    named = parseRevocationStatement(bytes);
  } catch {
    throw refuse("not a revocation statement");
  }
  if (named.vaultId !== signer.vaultId || named.deviceId !== targetDeviceId) {
    throw refuse("the statement names another vault or device");
  }
  if (!verify(null, bytes, ed25519PublicKey(Buffer.from(vault.identityKey, "base64url")), signature)) {
    throw refuse("the statement is not signed by the vault");
  }
}

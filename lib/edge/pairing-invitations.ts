import type { EdgeContext } from "./context";
import { authenticateDevice } from "./device-auth";
import { allocateInvitation } from "./invitations";
import { limitAttempts } from "./rate-limits";
import type { PairingInvitationRequest, PairingInvitationResponse } from "./schemas";

/**
 * Lifetime of a pairing invitation: 10 minutes, as the enclave's pairing secret
 * (vault-enclave/runtime/limits `PAIRING_TTL_MS`); the code that carries both is
 * good for as long as the shorter of the two.
 */
export const PAIRING_INVITATION_TTL_SECONDS = 600;

/**
 * A device of a vault asks for a single-use pairing invitation into its own vault
 * (docs/decisions/0062): a request signed with its registered Ed25519 key (purpose
 * `pairing`, target and signer the device itself), fresh, its nonce never seen, from
 * an active device. The invitation is stored like an operator's (only the hash of its
 * code), expires after {@link PAIRING_INVITATION_TTL_SECONDS} and binds the device's
 * user and vault; the device that enrolls with it joins that vault. The edge never
 * sees the enclave's pairing secret: it only hands out an enrollment into the vault's
 * NATS subjects, which opens nothing in the vault by itself.
 */
export async function createPairingInvitation(
  ctx: EdgeContext,
  deviceId: string,
  request: PairingInvitationRequest,
  sourceIp: string,
): Promise<PairingInvitationResponse> {
  const now = ctx.now();
  await limitAttempts(ctx.store, "perSource", sourceIp, now, "pairing");
  const device = await authenticateDevice(ctx, {
    purpose: "pairing",
    targetDeviceId: deviceId,
    signerDeviceId: deviceId,
    ...request,
  });
  await limitAttempts(ctx.store, "perDevice", device.deviceId, now, "pairing");
  const expiresAt = now + PAIRING_INVITATION_TTL_SECONDS * 1000;
  const { code, record } = await allocateInvitation(ctx, {
    createdAt: now,
    expiresAt,
    createdBy: `device:${device.deviceId}`,
    pairing: { userId: device.userId, vaultId: device.vaultId, deviceId: device.deviceId },
  });
  return {
    invitationId: record.invitationId,
    code,
    vaultId: device.vaultId,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

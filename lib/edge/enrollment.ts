import { randomBytes } from "node:crypto";
import { VettidError } from "../errors";
import type {
  DeviceRecord,
  EnrollmentWrite,
  InvitationEnrollment,
  InvitationPairing,
  InvitationRecord,
} from "../store";
import { VAULT_SALT_BYTES, vaultIdFor } from "../vault-id";
import type { EdgeContext } from "./context";
import { issueNatsCredentials, vaultSubjects } from "./credentials";
import { newId } from "./ids";
import { invitationIdFromCode, normalizeInvitationCode } from "./invitation-code";
import { limitAttempts } from "./rate-limits";
import type { EnrollmentRequest, EnrollmentResponse } from "./schemas";

type Decision = { kind: "enroll" } | { kind: "retry"; enrollment: InvitationEnrollment };

/** What an invitation allows for this device: a new enrollment, an idempotent retry, or nothing. */
function decide(invitation: InvitationRecord | undefined, device: EnrollmentRequest["device"], now: number): Decision {
  if (!invitation) throw new VettidError("INVITATION_INVALID", "unknown invitation code");
  if (invitation.status === "used") {
    const e = invitation.enrollment;
    const same =
      e?.signingKey === device.signingKey &&
      e.exchangeKey === device.exchangeKey &&
      e.natsPublicKey === device.natsPublicKey;
    if (e && same) {
      return { kind: "retry", enrollment: e };
    }
    throw new VettidError("INVITATION_USED", "this invitation was already used by another device");
  }
  if (invitation.status === "revoked") throw new VettidError("INVITATION_REVOKED", "this invitation was revoked");
  if (invitation.expiresAt <= now) throw new VettidError("INVITATION_EXPIRED", "this invitation has expired");
  return { kind: "enroll" };
}

/** The records an enrollment consists of, rebuilt from what the claim stored. */
function recordsOf(invitationId: string, e: InvitationEnrollment, createdAt: number): EnrollmentWrite {
  const device: DeviceRecord = {
    deviceId: e.deviceId,
    userId: e.userId,
    vaultId: e.vaultId,
    signingKey: e.signingKey,
    exchangeKey: e.exchangeKey,
    natsPublicKey: e.natsPublicKey,
    status: "active",
    createdAt,
  };
  if (e.name !== undefined) device.name = e.name;
  if (e.vaultSalt !== undefined) device.vaultSalt = e.vaultSalt;
  if (e.invitedBy !== undefined) device.invitedBy = e.invitedBy;
  return {
    invitationId,
    now: createdAt,
    user: { userId: e.userId, createdAt, invitationId },
    device,
    vault: { vaultId: e.vaultId, userId: e.userId, hostId: e.hostId, stateVersion: 0, createdAt },
  };
}

async function respond(ctx: EdgeContext, device: DeviceRecord): Promise<EnrollmentResponse> {
  if (device.status !== "active") throw new VettidError("DEVICE_REVOKED", "this device was revoked");
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    vaultId: device.vaultId,
    ...(device.vaultSalt !== undefined ? { vaultSalt: device.vaultSalt } : {}),
    nats: await issueNatsCredentials(ctx, device),
    manifestUrl: ctx.manifestUrl,
    subjects: vaultSubjects(device.vaultId, device.deviceId),
  };
}

/** Completes a claimed enrollment (creating whatever records a crash left missing) and answers. */
async function complete(ctx: EdgeContext, invitation: InvitationRecord, e: InvitationEnrollment) {
  const existing = await ctx.store.getDevice(e.deviceId);
  if (existing) return respond(ctx, existing);
  const write = recordsOf(invitation.invitationId, e, invitation.usedAt ?? ctx.now());
  await ctx.store.materializeEnrollment(write);
  return respond(ctx, write.device);
}

/**
 * After a claim that did not win. If the winner was this same device (a concurrent
 * attempt with the same keys), this answers with its enrollment. Otherwise this
 * request lost the invitation (another device claimed it, or it was revoked, expired
 * or removed meanwhile), no claim for it can succeed any more, and the NATS key
 * reservation this request used (`deviceId`, bound to this invitation) is dead:
 * it is released before the refusal, so the key can enroll with another invitation.
 * `releaseNatsKey` deletes the reservation only while it still names `deviceId`, so a
 * reservation of another device is never touched.
 */
async function afterLostClaim(
  ctx: EdgeContext,
  request: EnrollmentRequest,
  invitationId: string,
  deviceId: string,
  now: number,
): Promise<EnrollmentResponse> {
  const current = await ctx.store.getInvitation(invitationId);
  let again: Decision;
  try {
    again = decide(current, request.device, now);
  } catch (refusal) {
    await ctx.store.releaseNatsKey(request.device.natsPublicKey, deviceId);
    throw refusal;
  }
  if (again.kind === "retry") return complete(ctx, current as InvitationRecord, again.enrollment);
  // The claim failed, yet a consistent read finds the invitation open and unexpired:
  // it has not been lost, and another attempt of this device may be about to claim it
  // with this reservation, so the reservation stays for the retry to reuse.
  throw new VettidError("UNAVAILABLE", "the invitation changed during enrollment; retry");
}

/**
 * The enrollment of a device that founds a vault: a new user, and a vault id that
 * commits to this device's keys, so only this device can initialize the vault in the
 * enclave, and the device checks the commitment (lib/vault-id).
 */
function founding(request: EnrollmentRequest, deviceId: string, hostId: string | null): InvitationEnrollment {
  const vaultSalt = randomBytes(VAULT_SALT_BYTES);
  return {
    userId: newId("usr"),
    deviceId,
    vaultId: vaultIdFor(
      {
        signingKey: Buffer.from(request.device.signingKey, "base64url"),
        exchangeKey: Buffer.from(request.device.exchangeKey, "base64url"),
      },
      vaultSalt,
    ),
    vaultSalt: vaultSalt.toString("base64url"),
    signingKey: request.device.signingKey,
    exchangeKey: request.device.exchangeKey,
    natsPublicKey: request.device.natsPublicKey,
    hostId,
  };
}

/**
 * The host of the vault a pairing invitation joins. Refused when the inviting device
 * was revoked since it asked for the invitation (checked before anything is reserved).
 */
async function joinedVaultHost(ctx: EdgeContext, pairing: InvitationPairing): Promise<string | null> {
  const inviter = await ctx.store.getDevice(pairing.deviceId);
  if (inviter?.status !== "active" || inviter.vaultId !== pairing.vaultId) {
    throw new VettidError("INVITATION_REVOKED", "the device that asked for this pairing invitation was revoked");
  }
  return (await ctx.store.getVault(pairing.vaultId))?.hostId ?? null;
}

/**
 * The enrollment of a device that joins the vault of a pairing invitation
 * (docs/decisions/0062): the inviting device's user and vault, and no vault salt (the
 * id commits to the founder's keys, not to this device's). The device record grants
 * NATS access to the vault's subjects only; the enclave admits the device only once it
 * has proved the pairing secret and an authorized device approved it.
 */
function joining(
  pairing: InvitationPairing,
  request: EnrollmentRequest,
  deviceId: string,
  hostId: string | null,
): InvitationEnrollment {
  return {
    userId: pairing.userId,
    deviceId,
    vaultId: pairing.vaultId,
    signingKey: request.device.signingKey,
    exchangeKey: request.device.exchangeKey,
    natsPublicKey: request.device.natsPublicKey,
    hostId,
    invitedBy: pairing.deviceId,
  };
}

/**
 * Enrolls a device with a single-use invitation (DESIGN.md §4 and
 * docs/decisions/0022): reserve the device's NATS key, claim the invitation with
 * one conditional update (the only point where concurrent requests race; exactly
 * one wins), then create the user, vault and device records idempotently and mint
 * the device's NATS user JWT. A pairing invitation enrolls the device into the
 * inviting device's user and vault instead ({@link joining}). Retrying with the same invitation and device keys
 * returns the same enrollment; another device is refused. A request that loses the
 * invitation releases the NATS key reservation it used ({@link afterLostClaim}).
 */
export async function enroll(
  ctx: EdgeContext,
  request: EnrollmentRequest,
  sourceIp: string,
): Promise<EnrollmentResponse> {
  const now = ctx.now();
  await limitAttempts(ctx.store, "perSource", sourceIp, now, "enroll");
  await limitAttempts(ctx.store, "perCode", normalizeInvitationCode(request.invitationCode), now, "enroll");

  const invitationId = invitationIdFromCode(request.invitationCode);
  const invitation = await ctx.store.getInvitation(invitationId);
  const decision = decide(invitation, request.device, now);
  if (decision.kind === "retry") return complete(ctx, invitation as InvitationRecord, decision.enrollment);
  // Read before reserving, so that between the reservation and the claim there is
  // nothing but the claim itself.
  const pairing = (invitation as InvitationRecord).pairing;
  const hostId = pairing ? await joinedVaultHost(ctx, pairing) : ((await ctx.store.pickHost(now)) ?? null);

  const reservation = await ctx.store.reserveNatsKey({
    natsPublicKey: request.device.natsPublicKey,
    deviceId: newId("dev"),
    signingKey: request.device.signingKey,
    invitationId,
  });
  const mine = reservation.existing;
  if (!reservation.reserved && (mine.signingKey !== request.device.signingKey || mine.invitationId !== invitationId)) {
    throw new VettidError("CONFLICT", "this NATS key is already registered to another device");
  }
  const enrollment: InvitationEnrollment = pairing
    ? joining(pairing, request, mine.deviceId, hostId)
    : founding(request, mine.deviceId, hostId);
  if (request.device.name !== undefined) enrollment.name = request.device.name;

  // A claim that throws may still have been written, so its reservation is kept: a
  // retry with the same invitation either finds the claim or reuses the reservation.
  if (await ctx.store.claimInvitation(invitationId, enrollment, now)) {
    const write = recordsOf(invitationId, enrollment, now);
    await ctx.store.materializeEnrollment(write);
    return respond(ctx, write.device);
  }
  return afterLostClaim(ctx, request, invitationId, mine.deviceId, now);
}

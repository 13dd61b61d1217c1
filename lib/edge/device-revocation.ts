import { VettidError } from "../errors";
import { withRevocation } from "../nats-auth";
import type { EdgeContext } from "./context";
import { authenticateDevice } from "./device-auth";
import { limitAttempts } from "./rate-limits";
import type { DeviceRevokeRequest } from "./schemas";

/** Who asks for a revocation: another device of the same user (signed), or an operator. */
export type Revoker = { kind: "device"; request: DeviceRevokeRequest; sourceIp: string } | { kind: "operator" };

/** Optimistic-locking retries of the revocation list; contention needs parallel revocations. */
const MAX_REVOCATION_WRITES = 5;

/**
 * Revokes a device: it gets no new JWTs, its nkey joins the account's revocations,
 * and the re-signed account JWT is pushed to the NATS servers, which then close its
 * live connections. Idempotent: a retry after a failed push pushes again.
 */
export async function revokeDevice(
  ctx: EdgeContext,
  targetDeviceId: string,
  revoker: Revoker,
): Promise<{ deviceId: string; status: "revoked" }> {
  if (!ctx.revocationPusher) throw new VettidError("CONFIG_INVALID", "revocation is not configured");
  const now = ctx.now();
  if (revoker.kind === "device") {
    await limitAttempts(ctx.store, "perSource", revoker.sourceIp, now, "revoke");
    const signer = await authenticateDevice(ctx, {
      purpose: "revoke",
      targetDeviceId,
      ...revoker.request,
    });
    const target = await ctx.store.getDevice(targetDeviceId);
    if (!target || target.userId !== signer.userId) {
      throw new VettidError("FORBIDDEN", "a device can revoke only devices of its own user");
    }
  }
  const target = await ctx.store.getDevice(targetDeviceId);
  if (!target) throw new VettidError("NOT_FOUND", "no such device");
  await ctx.store.revokeDevice(targetDeviceId, now);

  for (let attempt = 0; attempt < MAX_REVOCATION_WRITES; attempt += 1) {
    const state = await ctx.store.getRevocations();
    if (state.revocations[target.natsPublicKey] !== undefined) {
      await ctx.revocationPusher.push(state.revocations);
      return { deviceId: targetDeviceId, status: "revoked" };
    }
    const next = withRevocation(state.revocations, target.natsPublicKey, Math.floor(now / 1000));
    if (await ctx.store.putRevocations(next, state.version)) {
      await ctx.revocationPusher.push(next);
      return { deviceId: targetDeviceId, status: "revoked" };
    }
  }
  throw new VettidError("UNAVAILABLE", "the revocation list is busy; retry");
}

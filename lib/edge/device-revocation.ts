import { VettidError } from "../errors";
import { withRevocation } from "../nats-auth";
import type { DeviceRecord } from "../store";
import type { EdgeContext } from "./context";
import { authenticateDevice } from "./device-auth";
import { limitAttempts } from "./rate-limits";
import type { DeviceRevokeRequest } from "./schemas";
import { requireVaultRevocation } from "./vault-identity";

/**
 * Who asks for a revocation: a device of the same user (signed; for another device,
 * with the vault's signed statement), or an operator.
 */
export type Revoker = { kind: "device"; request: DeviceRevokeRequest; sourceIp: string } | { kind: "operator" };

/**
 * How far past the revocation the account's revocation entry reaches. nats-server
 * refuses a JWT issued at or before the entry's time; a credential refresh that
 * read the device as active just before the revocation mints its JWT a little
 * later (at most the 30 s function timeout), so an entry at "now" would let that
 * JWT live for hours. 60 s covers the timeout twice; the device never gets a new
 * JWT anyway, so an entry in the future costs nothing.
 */
export const REVOCATION_GRACE_SECONDS = 60;

/** Optimistic-locking retries of the revocation list; contention needs parallel revocations. */
const MAX_REVOCATION_WRITES = 5;

/**
 * Revokes a device: it gets no new JWTs, and its nkey joins the account's revocations
 * in the table. The edge signs and pushes nothing: the revocation publisher, a function
 * the internet cannot invoke, receives the item's change from the table's stream,
 * re-signs the account JWT and pushes it to the NATS servers, which then close the
 * device's live connections (docs/decisions/0063). Idempotent: a retry of a revocation
 * already recorded writes the item again (a new version), so its change is published
 * again.
 */
export async function revokeDevice(
  ctx: EdgeContext,
  targetDeviceId: string,
  revoker: Revoker,
): Promise<{ deviceId: string; status: "revoked" }> {
  const now = ctx.now();
  let target: DeviceRecord | undefined;
  if (revoker.kind === "device") {
    await limitAttempts(ctx.store, "perSource", revoker.sourceIp, now, "revoke");
    const { statement, statementSignature, ...signed } = revoker.request;
    const signer = await authenticateDevice(ctx, { purpose: "revoke", targetDeviceId, ...signed });
    target = await ctx.store.getDevice(targetDeviceId);
    // an unknown device and another user's look alike to a device
    if (!target || target.userId !== signer.userId) {
      throw new VettidError("FORBIDDEN", "a device can revoke only devices of its own user");
    }
    await requireVaultRevocation(ctx, signer, targetDeviceId, statement, statementSignature);
  } else {
    target = await ctx.store.getDevice(targetDeviceId);
    if (!target) throw new VettidError("NOT_FOUND", "no such device");
  }
  await ctx.store.revokeDevice(targetDeviceId, now);

  for (let attempt = 0; attempt < MAX_REVOCATION_WRITES; attempt += 1) {
    const state = await ctx.store.getRevocations();
    let next = state.revocations;
    if (next[target.natsPublicKey] === undefined) {
      // prune against the real clock, then let this entry reach past it
      const nowSeconds = Math.floor(now / 1000);
      next = withRevocation(state.revocations, target.natsPublicKey, nowSeconds);
      next[target.natsPublicKey] = nowSeconds + REVOCATION_GRACE_SECONDS;
    }
    if (await ctx.store.putRevocations(next, state.version)) {
      return { deviceId: targetDeviceId, status: "revoked" };
    }
  }
  throw new VettidError("UNAVAILABLE", "the revocation list is busy; retry");
}

import { VettidError } from "../errors";
import type { DeviceRecord } from "../store";
import type { EdgeContext } from "./context";
import { isFresh, SIGNED_REQUEST_WINDOW_SECONDS, type SignedPurpose, verifyRequestSignature } from "./signed-request";

/** A signed device request as received. */
export interface SignedRequest {
  purpose: SignedPurpose;
  targetDeviceId: string;
  signerDeviceId: string;
  timestamp: string;
  nonce: string;
  /** What else the signature binds (see SignedRequestFields). */
  subject?: string;
  signature: string;
}

/**
 * Authenticates a signed device request: fresh timestamp, a known signer whose
 * registered Ed25519 key verifies the signature, an active signer, and a nonce
 * never seen before (conditional put with a TTL past the window). Unknown devices
 * and bad signatures look the same to the caller.
 * @returns the signer's record.
 */
export async function authenticateDevice(ctx: EdgeContext, request: SignedRequest): Promise<DeviceRecord> {
  const now = ctx.now();
  if (!isFresh(request.timestamp, now)) {
    throw new VettidError("CHALLENGE_INVALID", `timestamp must be within ${SIGNED_REQUEST_WINDOW_SECONDS} s of now`);
  }
  const signer = await ctx.store.getDevice(request.signerDeviceId);
  if (!signer || !verifyRequestSignature(request, request.signature, signer.signingKey)) {
    throw new VettidError("CHALLENGE_INVALID", "the signature does not verify");
  }
  if (signer.status !== "active") throw new VettidError("DEVICE_REVOKED", "this device was revoked");
  const expiresAt = Math.ceil(Date.parse(request.timestamp) / 1000) + SIGNED_REQUEST_WINDOW_SECONDS + 60;
  if (!(await ctx.store.useNonce(request.signerDeviceId, request.nonce, expiresAt))) {
    throw new VettidError("REPLAYED_REQUEST", "this signed request was already used");
  }
  return signer;
}

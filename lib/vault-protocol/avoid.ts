import { createHash } from "node:crypto";

/** Domain label of the document nonce of an attestation asked with `avoid` (decision 0078). */
export const AVOID_NONCE_LABEL = "vettid/attest-avoid/v1";

/**
 * The nonce an enclave puts in the attestation document it makes for `attest {nonce,
 * avoid}`: the device's nonce itself without `avoid`, otherwise
 * `SHA-256("vettid/attest-avoid/v1" ‖ nonce ‖ avoid[0] ‖ … ‖ avoid[n-1])`. The device
 * expects exactly this nonce, so a document made for a request the host changed (an
 * `avoid` stripped, added or altered on the way to the enclave) does not verify.
 *
 * @example
 * documentNonce(nonce)               // nonce
 * documentNonce(nonce, [digest])     // 32 bytes bound to both
 */
export function documentNonce(nonce: Uint8Array, avoid?: readonly Uint8Array[]): Uint8Array {
  if (avoid === undefined) return nonce;
  const hash = createHash("sha256").update(AVOID_NONCE_LABEL).update(nonce);
  for (const digest of avoid) hash.update(digest);
  return new Uint8Array(hash.digest());
}

import { createHash } from "node:crypto";

/** Domain label of the nonce an enclave puts in a device's attestation document (decision 0078). */
export const DOCUMENT_NONCE_LABEL = "vettid/attest-nonce/v1";

/**
 * The nonce an enclave puts in the attestation document it makes for `attest {nonce,
 * avoid?}`:
 *
 * - without `avoid`: `SHA-256("vettid/attest-nonce/v1" ‖ nonce)`;
 * - with `avoid`: `SHA-256("vettid/attest-nonce/v1" ‖ nonce ‖ avoid[0] ‖ … ‖ avoid[n-1] ‖ h)`,
 *   `h` one byte, `0x01` when the enclave holds the vault's lease as it answers, `0x00`
 *   when not.
 *
 * The device expects exactly this nonce, so a document made for a request the host
 * changed on the way to the enclave (an `avoid` stripped, added or altered, or a plain
 * request whose nonce the host computed from an `avoid` request: the request's nonce is
 * always 32 bytes, so two different requests never hash the same input) does not
 * verify, and the enclave's answer to "do you hold the vault?" is as authentic as its
 * document.
 *
 * @example
 * documentNonce(nonce)                  // bound to the nonce
 * documentNonce(nonce, [digest], true)  // bound to both, from the lease holder
 */
export function documentNonce(nonce: Uint8Array, avoid?: readonly Uint8Array[], holdsLease = false): Uint8Array {
  const hash = createHash("sha256").update(DOCUMENT_NONCE_LABEL).update(nonce);
  if (avoid !== undefined) {
    for (const digest of avoid) hash.update(digest);
    hash.update(new Uint8Array([holdsLease ? 1 : 0]));
  }
  return new Uint8Array(hash.digest());
}

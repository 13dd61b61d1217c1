/** What the caller binds into an attestation document. Each field is optional. */
export interface AttestationRequest {
  /** A fresh value from the verifier, echoed as `nonce` (at most 1024 bytes). */
  nonce?: Uint8Array;
  /** Application data echoed as `user_data` (at most 1024 bytes). */
  userData?: Uint8Array;
  /** The enclave's public key, echoed as `public_key` (at most 1024 bytes). */
  publicKey?: Uint8Array;
}

/**
 * The Nitro Secure Module as the vault runtime sees it. Production: the `/dev/nsm`
 * binding in `vault-enclave/nsm/`; development: the simulator in `local/nsm-sim/`.
 */
export interface Nsm {
  /** Returns a COSE_Sign1 attestation document (AWS format) binding the request's fields. */
  attest(request: AttestationRequest): Promise<Uint8Array>;
}

/**
 * AWS Nitro attestation: verify documents (COSE_Sign1 ES384, chain to a pinned root,
 * PCRs against a manifest) and the NSM interface the vault runtime attests through.
 */
export { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from "./aws-root";
export { clearChainCache } from "./chain";
export { sigStructure } from "./cose";
export { type AttestationFailureReason, REASONS } from "./errors";
export type { AttestationRequest, Nsm } from "./nsm";
export { isCertificatePem, pemToDer } from "./trust";
export type { AttestationVerifyOptions, VerifiedAttestation } from "./types";
export { verifyAttestation } from "./verify";

/**
 * The enclave's own KMS client: `@aws-sdk/client-kms` over TLS that ends inside the
 * enclave, through a byte tunnel the host forwards (DESIGN.md §5), with attested
 * `Recipient` and every answer checked.
 */
export {
  DATA_KEY_BYTES,
  KMS_REQUEST_TIMEOUT_MS,
  MAX_CIPHERTEXT_BLOB_BYTES,
  MAX_KMS_SOCKETS,
  RECIPIENT_DOCUMENT_TTL_MS,
  RECIPIENT_KEY_TTL_MS,
} from "./constants";
export { KmsAnswerRefused } from "./errors";
export { type DataKey, SealingKms, type SealingKmsOptions } from "./sealing-kms";
export { type TunnelAgentOptions, TunnelHttpsAgent, type VerifiedPeer } from "./tunnel-agent";

/**
 * The proxy channel protocol shared by vsock-proxy/ and the enclave-side client
 * (docs/protocol.md §Proxy channels): operation names, limits, body readers and the
 * blob key scheme.
 */

export { BLOB_KEY_PREFIX, blobKey, parseBlobKey } from "./blob-keys";
export {
  asRecord,
  type BodyRecord,
  readBytes,
  readInteger,
  readNumber,
  readOneOf,
  readOptionalString,
  readString,
} from "./body";
export {
  ATTEST_NONCE_BYTES,
  BLOB_OPS,
  CONTROL_OPS,
  HEALTH_OPS,
  LOG_LEVELS,
  LOG_OPS,
  MAX_ATTESTATION_BYTES,
  MAX_BLOB_BYTES,
  MAX_CREDENTIAL_LENGTH,
  MAX_LOG_MESSAGE_LENGTH,
  MAX_METRIC_NAME_LENGTH,
  MAX_NATS_KEY_CIPHERTEXT_BYTES,
  MAX_NATS_PAYLOAD_BYTES,
  MAX_NATS_REQUEST_TIMEOUT_MS,
  MAX_SUBJECT_LENGTH,
  MAX_TUNNEL_CHUNK_BYTES,
  MAX_TUNNEL_ID,
  MAX_TUNNELS,
  METRIC_UNITS,
  METRICS_OPS,
  NATS_OPS,
  PROXY_ATTESTATION_PURPOSE,
  TUNNEL_OPS,
  TUNNEL_UPSTREAMS,
} from "./constants";

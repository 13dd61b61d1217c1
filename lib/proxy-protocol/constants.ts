/**
 * Operation names of each proxy channel (docs/protocol.md §Proxy channels). A
 * request is sent with id > 0 and answered `ok` / `error`; a one-way message uses
 * id 0.
 */

/**
 * `control`: proxy → enclave `attest` request on connect, then one-way `ready`;
 * enclave → proxy `credentials` (the instance role's AWS credentials, which the host
 * holds anyway, for the enclave to sign its own KMS requests with).
 */
export const CONTROL_OPS = {
  attest: "attest",
  ready: "ready",
  credentials: "credentials",
  /**
   * The runtime's sealed NATS signing key (decision 0072): the host hands over a KMS
   * ciphertext that only an attested enclave can open.
   */
  natsKey: "nats-key",
} as const;

/** `nats`: enclave → proxy requests, and the proxy's one-way `msg` deliveries. */
export const NATS_OPS = {
  subscribe: "subscribe",
  unsubscribe: "unsubscribe",
  publish: "publish",
  request: "request",
  message: "msg",
} as const;

/**
 * `tunnel`: a byte stream from the enclave to one allow-listed upstream (KMS, or a NATS
 * node for the runtime's own connection), for a TLS connection that begins and ends
 * inside the enclave. The enclave `open`s (request
 * → `{stream}`); then both sides send `data` requests (answered once the bytes were
 * handed on, which is the flow control) and one `end` when their side is done.
 */
export const TUNNEL_OPS = { open: "open", data: "data", end: "end" } as const;

/** The upstreams a tunnel may reach; the host maps each to addresses of its own configuration (KMS: one; NATS: the nodes, tried in turn). */
export const TUNNEL_UPSTREAMS = ["kms", "nats"] as const;

/**
 * Largest `data` chunk. Derivation: one TLS record is at most 2^14 bytes of plaintext
 * plus 2,048 bytes of expansion (RFC 8446 §5.2; TLS 1.2 allows the same), and a socket
 * read may hold several: 64 KiB carries four full records and stays far below a frame.
 */
export const MAX_TUNNEL_CHUNK_BYTES = 64 * 1024;

/**
 * Tunnels open at once per enclave connection. Derivation: the enclave's KMS client
 * keeps at most 4 sockets (vault-enclave/kms), plus as many closing: 8; its own NATS
 * connection is one, plus one closing while it reconnects: 10.
 */
export const MAX_TUNNELS = 10;

/**
 * Largest sealed NATS signing key the host may hand over: a KMS `CiphertextBlob` is at
 * most 6 KiB (AWS KMS quotas), and the 58-byte nkey seed it wraps gives about 200.
 */
export const MAX_NATS_KEY_CIPHERTEXT_BYTES = 6 * 1024;

/** Largest tunnel id (u32 on the wire, chosen by the proxy). */
export const MAX_TUNNEL_ID = 0xffff_ffff;

/** Longest credential field (an STS session token is about 1 KiB; AWS allows up to 8 KiB). */
export const MAX_CREDENTIAL_LENGTH = 8 * 1024;

/** `blob`: enclave → proxy requests on sealed objects. */
export const BLOB_OPS = { get: "get", put: "put", delete: "delete" } as const;

/** `log`: enclave → proxy one-way entries. */
export const LOG_OPS = { entry: "entry" } as const;

/** `metrics`: enclave → proxy one-way data points. */
export const METRICS_OPS = { put: "put" } as const;

/** `health`: `ping` in either direction. */
export const HEALTH_OPS = { ping: "ping" } as const;

/** Log levels the enclave may use. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** Metric units accepted from the enclave (a subset of CloudWatch units). */
export const METRIC_UNITS = ["Count", "Milliseconds", "Bytes", "Percent", "None"] as const;

/** Bytes of the proxy's attestation challenge: 256 bits, so a replayed document is caught. */
export const ATTEST_NONCE_BYTES = 32;

/**
 * The `user_data` of every document the enclave produces for the proxy's challenge.
 * The host chooses that challenge's nonce freely, so these documents are marked for
 * this one purpose: a device must refuse a document carrying this `user_data`, and
 * the proxy refuses a document without it.
 */
export const PROXY_ATTESTATION_PURPOSE = "vettid/proxy-attestation/v1";

/**
 * Largest attestation document accepted. Derivation: a Nitro document is about
 * 4.5 KiB (certificate + 4-certificate bundle + 16 PCRs) plus up to 3 × 1 KiB of
 * public key, user data and nonce; 16 KiB leaves ample room.
 */
export const MAX_ATTESTATION_BYTES = 16 * 1024;

/** Longest subject: the limit `parseSubject` accepts. */
export const MAX_SUBJECT_LENGTH = 512;

/** Longest log message accepted from the enclave; longer ones are cut, not refused. */
export const MAX_LOG_MESSAGE_LENGTH = 8 * 1024;

/** Longest metric name (CloudWatch allows 255; ours are short dotted names). */
export const MAX_METRIC_NAME_LENGTH = 128;

/** Largest sealed blob: the same 1 MiB as one NATS payload (lib/frames MAX_FRAME_BYTES). */
export const MAX_BLOB_BYTES = 1_048_576;

/** Largest NATS payload: nats-server's default `max_payload` of 1 MiB. */
export const MAX_NATS_PAYLOAD_BYTES = 1_048_576;

/** Longest deadline an enclave may ask of a NATS request, in milliseconds. */
export const MAX_NATS_REQUEST_TIMEOUT_MS = 60_000;

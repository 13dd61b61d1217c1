/**
 * Default limits of a {@link FrameLink}. Each is per connection.
 */

/**
 * Requests from the peer being handled at once; one more is answered `OVERLOADED`.
 * Derivation: the benchmark's 64 concurrent requesters, each of whose operations
 * costs up to four proxy round trips (NATS delivery, KMS, blob read, blob write):
 * 64 × 4 = 256.
 */
export const DEFAULT_MAX_IN_FLIGHT = 256;

/**
 * Requests this side has sent and not yet seen answered; one more fails locally
 * with `OVERLOADED`. Twice the peer's in-flight cap, so a well-behaved peer's own
 * limit is what normally bites first: 2 × 256 = 512.
 */
export const DEFAULT_MAX_PENDING = 512;

/**
 * Bytes queued in the socket's write buffer above which new requests wait for
 * 'drain' and one-way messages are dropped (and counted). Eight maximum frames
 * (8 × 1,114,112 ≈ 8.5 MiB) rounded to 8 MiB: enough to keep the link busy, small
 * enough that a stuck peer costs the host little memory. Replies are always
 * written, so the buffer can exceed this by at most `maxInFlight` replies.
 */
export const DEFAULT_HIGH_WATER_BYTES = 8 * 1024 * 1024;

/** Default deadline of one request: KMS and S3 calls finish well within 30 s or have failed. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How long a graceful shutdown waits for in-flight work before closing anyway. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/**
 * Frames held back before the stream is uncorked within a tick. A burst of
 * requests (64 concurrent devices) would otherwise reach the peer only once this
 * side has encoded all of it, so the two processes never work at the same time.
 * Measured on proxy-echo (2 cores, alternating runs): with slices of 16 the
 * 64-requester throughput was 0.64–0.78 of bare NATS, without 0.55–0.65, for one
 * system call per 16 frames instead of one per burst; slices of 4 to 32 measured alike.
 */
export const MAX_CORKED_FRAMES = 16;

/** Frame types of replies; every other type is a request (id > 0) or a one-way message (id 0). */
export const REPLY_TYPES = { ok: "ok", error: "error" } as const;

/** Request id that marks a one-way message (no reply expected). */
export const ONE_WAY_ID = 0;

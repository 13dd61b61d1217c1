/** Version of the frame layout; a peer that sends another version is disconnected. */
export const FRAME_VERSION = 1;

/** Bytes of the big-endian length prefix in front of every frame body. */
export const LENGTH_PREFIX_BYTES = 4;

/**
 * Hard ceiling on one frame, prefix included.
 * Derivation: the largest thing a frame carries is one NATS message (nats-server's
 * default `max_payload` is 1 MiB = 1,048,576 bytes) or one sealed vault state object
 * (capped at the same 1 MiB), plus up to 64 KiB for the subject, reply subject,
 * headers and CBOR framing: 1,048,576 + 65,536 = 1,114,112 bytes.
 */
export const MAX_FRAME_BYTES = 1_048_576 + 65_536;

/** Smallest valid body: a CBOR array(5) header byte plus five one-byte items. */
export const MIN_BODY_BYTES = 6;

/** Deepest nesting of arrays and maps accepted in a frame body. */
export const MAX_BODY_DEPTH = 32;

/** Longest frame `type` string; types are short operation names. */
export const MAX_TYPE_LENGTH = 32;

/** Request ids are unsigned 32-bit integers so both sides can keep them in a Map. */
export const MAX_REQUEST_ID = 0xffff_ffff;

/** The channels a frame may belong to (DESIGN.md §5). */
export const CHANNELS = ["control", "nats", "tunnel", "blob", "log", "metrics", "health"] as const;

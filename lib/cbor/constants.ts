/**
 * Defaults and wire constants of the strict CBOR pre-pass (RFC 8949).
 */

/**
 * Deepest nesting accepted by default, counting every array, map and tag as one
 * level. No format we decode nests deeper than a few levels (a frame body allows 32
 * under its header array); 32 keeps cbor-x's recursive decoder, which spends one
 * stack frame per level, thousands of frames away from Node's stack limit.
 */
export const DEFAULT_MAX_DEPTH = 32;

/**
 * Highest `maxDepth` a check accepts. It sizes the check's preallocated state
 * (48 numbers of key slots per level) and stays far below the depth at which cbor-x's
 * recursive decoder would exhaust the stack.
 */
export const MAX_DEPTH_LIMIT = 1024;

/**
 * Default item budget per input byte. Every item (map keys and tags included) starts
 * with a head of at least one byte, so CBOR without shared references can never hold
 * more items than it has bytes: one item per byte refuses nothing well-formed and
 * keeps both this pass and the value cbor-x builds linear in the input.
 */
export const DEFAULT_ITEMS_PER_BYTE = 1;

/**
 * Keys of one map compared pairwise before switching to a `Set`. Below this a new key
 * costs at most 15 comparisons, each usually decided by type and length, which is
 * cheaper than building a string per key; a larger map (rare, and capped by the item
 * budget) pays one string and one hash per key instead of a quadratic scan.
 */
export const PAIRWISE_KEYS = 16;

/** Major types (RFC 8949 §3.1). */
export const MAJOR = {
  uint: 0,
  negint: 1,
  bytes: 2,
  text: 3,
  array: 4,
  map: 5,
  tag: 6,
  simple: 7,
} as const;

/** Additional-information values with a meaning of their own (RFC 8949 §3, §3.3). */
export const INFO = {
  /** Arguments below this are held in the initial byte itself. */
  oneByte: 24,
  twoBytes: 25,
  fourBytes: 26,
  eightBytes: 27,
  /** 28–30 are reserved: not well-formed. */
  firstReserved: 28,
  /** Indefinite length (majors 2–5) or the break stop code (major 7). */
  indefinite: 31,
  false: 20,
  true: 21,
  null: 22,
  undefined: 23,
} as const;

/** Map key types a caller may allow. */
export const KEY_TYPES = ["text", "int"] as const;

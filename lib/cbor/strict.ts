import { DEFAULT_ITEMS_PER_BYTE, INFO, MAJOR, PAIRWISE_KEYS } from "./constants";
import { CBOR_REJECTIONS, CborError, type CborRejection } from "./errors";
import { type StrictCborOptions, type StrictCborRules, strictCborRules } from "./options";
import { isValidUtf8 } from "./utf8";

/** What a successful check counted. */
export interface StrictCborSummary {
  /** Items in the input, map keys and tags included (break bytes are not items). */
  items: number;
  /** Deepest nesting reached: 0 for a scalar, 1 for a flat array, and so on. */
  depth: number;
}

/**
 * Checks that `bytes` hold exactly one item of strict CBOR.
 * @throws CborError naming the first deviation.
 */
export type StrictCborCheck = (bytes: Uint8Array) => StrictCborSummary;

/**
 * Builds a strict CBOR check (RFC 8949 well-formedness plus the rules below) to run over
 * untrusted bytes before cbor-x decodes them. cbor-x cannot count what it expands: it
 * honours shared-reference tags, keeps the last of duplicate keys and reads indefinite
 * lengths. This pass walks the bytes once, without recursion and without allocating
 * per item, and refuses:
 *
 * - any tag except one of `outermostTags` on the outermost item;
 * - indefinite-length strings, and arrays and maps unless `indefiniteContainers`; a
 *   break byte outside such a container or in place of a map's value;
 * - two keys of one map with the same decoded value (text compared as its UTF-8 bytes,
 *   integers by value, so a longer head cannot hide a duplicate), and keys of a type
 *   not in `mapKeys`;
 * - text that is not valid UTF-8;
 * - reserved additional information (28–30); simple values other than false, true and
 *   null (undefined included);
 * - truncation, trailing bytes, and lengths or counts larger than the remaining bytes
 *   could hold, checked before anything is allocated;
 * - nesting deeper than `maxDepth`; more items than `maxItems`.
 *
 * Floats (half, single, double) pass; callers refuse non-finite numbers if they must.
 * Non-minimal heads pass too: cbor-x decodes them to the same values.
 *
 * The check keeps its working state between calls, so it is cheap to call per frame.
 *
 * @throws VettidError `CONFIG_INVALID` for an unknown option or an out-of-range limit.
 *
 * @example
 * const checkBody = createStrictCborCheck({ mapKeys: ["text"], maxDepth: 33 });
 * checkBody(bytes); // throws CborError, e.g. reason "tag_not_allowed"
 * const value = decoder.decode(bytes);
 */
export function createStrictCborCheck(options: StrictCborOptions = {}): StrictCborCheck {
  const walker = new StrictWalker(strictCborRules(options));
  return (bytes) => walker.check(bytes);
}

// Module-local copies of the imported constants: CommonJS output turns imported bindings
// into getter calls, which the per-item loop below must not pay for.
const {
  uint: UINT,
  negint: NEGINT,
  bytes: BYTES,
  text: TEXT,
  array: ARRAY_MAJOR,
  map: MAP_MAJOR,
  tag: TAG_MAJOR,
} = MAJOR;
const { oneByte: ONE_BYTE, firstReserved: FIRST_RESERVED, indefinite: INDEFINITE } = INFO;
const { false: FALSE, undefined: UNDEFINED } = INFO;
const ITEMS_PER_BYTE = DEFAULT_ITEMS_PER_BYTE;
const PAIRWISE = PAIRWISE_KEYS;
const validUtf8 = isValidUtf8;

const TWO_32 = 0x1_0000_0000;
const BREAK = 0xff;
/** Items "left" in an open indefinite-length container: more than any input holds, so only its break ends it. */
const UNBOUNDED = 2 ** 52;
/** Kinds of open container; a map's kind says whether a key or a value comes next (`kind ^ 2` flips it). */
const ARRAY = 0;
const MAP_KEY = 1;
const TAG = 2;
const MAP_VALUE = 3;
/** Numbers per remembered key: its type (major 0, 1 or 3), then hi/lo of an integer or start/end of a text. */
const KEY_FIELDS = 3;
const EMPTY = new Uint8Array(0);

/** The state of one check, kept between calls; one walk runs at a time (it is synchronous). */
class StrictWalker {
  private readonly rules: StrictCborRules;
  // One slot per open level (index depth - 1).
  private readonly left: Float64Array;
  private readonly kind: Uint8Array;
  private readonly indefinite: Uint8Array;
  private readonly keyCount: Uint32Array;
  private readonly keyRecords: Float64Array;
  private readonly keySets: (Set<string> | undefined)[];
  private bytes: Uint8Array = EMPTY;
  private latin1: Buffer | undefined;
  private setsInUse = false;

  constructor(rules: StrictCborRules) {
    this.rules = rules;
    this.left = new Float64Array(rules.maxDepth);
    this.kind = new Uint8Array(rules.maxDepth);
    this.indefinite = new Uint8Array(rules.maxDepth);
    this.keyCount = new Uint32Array(rules.maxDepth);
    this.keyRecords = new Float64Array(rules.maxDepth * PAIRWISE * KEY_FIELDS);
    this.keySets = new Array(rules.maxDepth).fill(undefined);
  }

  check(bytes: Uint8Array): StrictCborSummary {
    this.bytes = bytes;
    try {
      return this.walk(bytes);
    } finally {
      // Hold on to nothing of this input.
      this.bytes = EMPTY;
      this.latin1 = undefined;
      if (this.setsInUse) {
        this.keySets.fill(undefined);
        this.setsInUse = false;
      }
    }
  }

  private walk(bytes: Uint8Array): StrictCborSummary {
    const { tags, allowText, allowInt, allowIndefinite, maxDepth } = this.rules;
    const { left, kind, indefinite } = this;
    const end = bytes.length;
    const budget = this.rules.maxItems ?? end * ITEMS_PER_BYTE;
    let pos = 0;
    let items = 0;
    let depth = 0;
    let deepest = 0;

    for (;;) {
      if (pos >= end) throw reject(CBOR_REJECTIONS.truncated, end);
      const start = pos;
      const initial = bytes[pos++] as number;

      if (initial === BREAK) {
        // It closes the innermost indefinite container, and never stands for a map's value.
        const level = depth - 1;
        if (depth === 0 || indefinite[level] === 0 || kind[level] === MAP_VALUE) {
          throw reject(CBOR_REJECTIONS.unexpectedBreak, start);
        }
        depth = level;
        this.keySets[depth] = undefined;
      } else {
        if (++items > budget) throw reject(CBOR_REJECTIONS.tooManyItems, start, `more than ${budget} items`);
        const major = initial >> 5;
        const info = initial & 0x1f;

        // The argument: lo holds it below 2^32, hi the rest of an 8-byte one; lo = -1: indefinite.
        let lo = info;
        let hi = 0;
        if (info >= ONE_BYTE) {
          if (info < FIRST_RESERVED) {
            const size = 1 << (info - ONE_BYTE);
            if (pos + size > end) throw reject(CBOR_REJECTIONS.truncated, end);
            if (size === 1) lo = bytes[pos] as number;
            else if (size === 2) lo = ((bytes[pos] as number) << 8) | (bytes[pos + 1] as number);
            else if (size === 4) lo = uint32(bytes, pos);
            else {
              hi = uint32(bytes, pos);
              lo = uint32(bytes, pos + 4);
            }
            pos += size;
          } else if (info === INDEFINITE && (major === ARRAY_MAJOR || major === MAP_MAJOR) && allowIndefinite) {
            lo = -1;
          } else if (info === INDEFINITE && major >= BYTES && major <= MAP_MAJOR) {
            throw reject(CBOR_REJECTIONS.indefiniteLength, start);
          } else {
            throw reject(CBOR_REJECTIONS.invalidHead, start);
          }
        }

        // A key of the innermost open map?
        const level = depth - 1;
        const isKey = depth > 0 && kind[level] === MAP_KEY;

        switch (major) {
          case UINT:
          case NEGINT:
            if (isKey) {
              if (!allowInt) throw reject(CBOR_REJECTIONS.keyTypeNotAllowed, start);
              this.addKey(level, major, hi, lo, start);
            }
            break;
          case BYTES:
          case TEXT: {
            const length = hi * TWO_32 + lo;
            if (length > end - pos) throw reject(CBOR_REJECTIONS.lengthExceedsInput, start);
            if (major === TEXT && !validUtf8(bytes, pos, pos + length)) {
              throw reject(CBOR_REJECTIONS.invalidUtf8, start);
            }
            if (isKey) {
              if (major === BYTES || !allowText) throw reject(CBOR_REJECTIONS.keyTypeNotAllowed, start);
              this.addKey(level, TEXT, pos, pos + length, start);
            }
            pos += length;
            break;
          }
          case ARRAY_MAJOR:
          case MAP_MAJOR: {
            if (isKey) throw reject(CBOR_REJECTIONS.keyTypeNotAllowed, start);
            const count = hi * TWO_32 + lo;
            const slots = lo < 0 ? UNBOUNDED : major === MAP_MAJOR ? count * 2 : count;
            // Every item takes at least one byte: a count the rest cannot hold is refused here.
            if (lo >= 0 && slots > end - pos) throw reject(CBOR_REJECTIONS.lengthExceedsInput, start);
            if (depth >= maxDepth) throw reject(CBOR_REJECTIONS.tooDeep, start, `nested deeper than ${maxDepth}`);
            if (slots === 0) {
              if (depth + 1 > deepest) deepest = depth + 1;
              break;
            }
            kind[depth] = major === MAP_MAJOR ? MAP_KEY : ARRAY;
            indefinite[depth] = lo < 0 ? 1 : 0;
            left[depth] = slots;
            this.keyCount[depth] = 0;
            this.keySets[depth] = undefined;
            depth += 1;
            if (depth > deepest) deepest = depth;
            continue;
          }
          case TAG_MAJOR:
            if (isKey) throw reject(CBOR_REJECTIONS.keyTypeNotAllowed, start);
            if (start !== 0 || hi !== 0 || !tags.has(lo)) {
              throw reject(CBOR_REJECTIONS.tagNotAllowed, start, `tag ${hi === 0 ? lo : "≥ 2^32"} is not allowed here`);
            }
            if (depth >= maxDepth) throw reject(CBOR_REJECTIONS.tooDeep, start, `nested deeper than ${maxDepth}`);
            kind[depth] = TAG;
            indefinite[depth] = 0;
            left[depth] = 1;
            depth += 1;
            if (depth > deepest) deepest = depth;
            continue;
          default: // SIMPLE: false, true, null and floats pass
            if (info < FALSE || info === UNDEFINED || info === ONE_BYTE) {
              throw reject(CBOR_REJECTIONS.simpleNotAllowed, start);
            }
            if (isKey) throw reject(CBOR_REJECTIONS.keyTypeNotAllowed, start);
        }
      }

      // An item is complete: so is every container it was the last item of.
      while (depth > 0) {
        const remaining = (left[depth - 1] as number) - 1;
        left[depth - 1] = remaining;
        const open = kind[depth - 1] as number;
        if (open & 1) kind[depth - 1] = open ^ 2; // a map: key ⇄ value
        if (remaining > 0) break;
        depth -= 1;
        this.keySets[depth] = undefined;
      }
      if (depth === 0) break;
    }
    if (pos !== end) throw reject(CBOR_REJECTIONS.trailingBytes, pos, `${end - pos} bytes after the item`);
    return { items, depth: deepest };
  }

  /** Remembers a key of the map at `level`, refusing it if that map has it already. */
  private addKey(level: number, type: number, a: number, b: number, at: number): void {
    const set = this.keySets[level];
    if (set !== undefined) {
      const key = this.keyString(type, a, b);
      if (set.has(key)) throw reject(CBOR_REJECTIONS.duplicateKey, at);
      set.add(key);
      return;
    }
    const records = this.keyRecords;
    const n = this.keyCount[level] as number;
    const base = level * PAIRWISE * KEY_FIELDS;
    const last = base + n * KEY_FIELDS;
    for (let r = base; r < last; r += KEY_FIELDS) {
      if (records[r] !== type) continue;
      const ra = records[r + 1] as number;
      const rb = records[r + 2] as number;
      if (type === TEXT ? sameBytes(this.bytes, ra, rb, a, b) : ra === a && rb === b) {
        throw reject(CBOR_REJECTIONS.duplicateKey, at);
      }
    }
    if (n < PAIRWISE) {
      records[last] = type;
      records[last + 1] = a;
      records[last + 2] = b;
      this.keyCount[level] = n + 1;
      return;
    }
    // A large map: from here on, one string per key in a Set.
    const all = new Set<string>();
    for (let r = base; r < last; r += KEY_FIELDS) {
      all.add(this.keyString(records[r] as number, records[r + 1] as number, records[r + 2] as number));
    }
    all.add(this.keyString(type, a, b));
    this.keySets[level] = all;
    this.setsInUse = true;
  }

  private keyString(type: number, a: number, b: number): string {
    if (type !== TEXT) return `${type}:${a}:${b}`;
    this.latin1 ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return `t${this.latin1.toString("latin1", a, b)}`; // one char per byte: equal strings ⇔ equal bytes
  }
}

function reject(reason: CborRejection, offset: number, detail?: string): CborError {
  return new CborError(reason, offset, `not strict CBOR: ${reason} at byte ${offset}${detail ? ` (${detail})` : ""}`);
}

function uint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x100_0000 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  );
}

function sameBytes(bytes: Uint8Array, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let i = 0; i < a1 - a0; i++) if (bytes[a0 + i] !== bytes[b0 + i]) return false;
  return true;
}

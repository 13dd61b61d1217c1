/**
 * Hostile CBOR shared by the unit, property and integration tests of strict CBOR.
 */

/** The head bytes of frame `[1, "nats", id, "publish", …]` up to (not including) the body. */
export function frameHead(id = 1): number[] {
  const text = (s: string) => [0x60 | s.length, ...Buffer.from(s)];
  return [0x85, 0x01, ...text("nats"), ...uintHead(0, id), ...text("publish")];
}

/** A minimal CBOR head of major type `major` with argument `n` (< 2^32). */
export function uintHead(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/**
 * A value built with the value-sharing tags 28 (shareable) and 29 (shared reference):
 * an array of `levels` items where item 0 is `28([])` and item i is
 * `28([29(i-1), 29(i-1)])`. Each level references the one below twice, so a decoder
 * that honours the tags builds 2^levels nodes from about 8 bytes per level.
 */
export function sharedReferenceBomb(levels: number): number[] {
  const out = [...uintHead(4, levels), 0xd8, 0x1c, 0x80];
  for (let i = 1; i < levels; i++) {
    out.push(0xd8, 0x1c, 0x82, 0xd8, 0x1d, ...uintHead(0, i - 1), 0xd8, 0x1d, ...uintHead(0, i - 1));
  }
  return out;
}

/** A frame body `[1, "nats", id, "publish", bomb]`. */
export function bombFrameBody(levels: number, id = 1): Uint8Array {
  return Uint8Array.from([...frameHead(id), ...sharedReferenceBomb(levels)]);
}

/** `body` with its 4-byte big-endian length prefix. */
export function lengthPrefixed(body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** A value the test encoder writes: the CBOR data model the strict pre-pass accepts. */
export type TestValue = null | boolean | number | string | Uint8Array | TestValue[] | Map<string | number, TestValue>;

/** A rule break the test encoder can inject at one node. */
export type Injection =
  /** Wrap the node (any value, not a key) in this tag. */
  | { kind: "tag"; tag: number; at: number }
  /** Repeat the first key of the node (a non-empty map), with `width` for the repeat's head. */
  | { kind: "duplicate"; width: number; at: number }
  /** Write the node (an array, map or string) with indefinite length. */
  | { kind: "indefinite"; at: number };

/** Options of {@link encodeTestCbor}. */
export interface TestEncoding {
  /**
   * Head widths in bytes (0 minimal, else 1, 2, 4 or 8 when the argument fits), used in
   * turn by successive heads: non-minimal heads are valid CBOR of the same value.
   */
  widths?: readonly number[];
  /** `at` is taken modulo the number of nodes the injection applies to. */
  injection?: Injection;
}

/** The encoding, the number of items it holds (map keys included) and whether an injection applied. */
export interface TestEncoded {
  bytes: Uint8Array;
  items: number;
  injected: boolean;
}

/**
 * A small, independent CBOR encoder for tests: it can write any head width and inject
 * exactly one tag, duplicate key or indefinite length where asked.
 */
export function encodeTestCbor(value: TestValue, encoding: TestEncoding = {}): TestEncoded {
  const widths = encoding.widths?.length ? encoding.widths : [0];
  const injection = encoding.injection;
  const applies = (node: TestValue): boolean => {
    if (!injection) return false;
    if (injection.kind === "tag") return true;
    if (injection.kind === "duplicate") return node instanceof Map && node.size > 0;
    return Array.isArray(node) || node instanceof Map || typeof node === "string" || node instanceof Uint8Array;
  };
  let eligible = 0;
  const count = (node: TestValue): void => {
    if (applies(node)) eligible += 1;
    if (Array.isArray(node)) node.forEach(count);
    else if (node instanceof Map) for (const item of node.values()) count(item);
  };
  count(value);
  const target = injection && eligible > 0 ? injection.at % eligible : -1;

  const out: number[] = [];
  let heads = 0;
  let items = 0;
  let seen = 0;
  const head = (major: number, n: number, width = widths[heads++ % widths.length] as number): void => {
    const m = major << 5;
    const fits = (bytes: number) => n < 2 ** (8 * bytes);
    const size = width >= 1 && fits(width) ? width : n < 24 ? 0 : fits(1) ? 1 : fits(2) ? 2 : fits(4) ? 4 : 8;
    if (size === 0) {
      out.push(m | n);
      return;
    }
    out.push(m | (23 + Math.log2(size) + 1));
    for (let i = size - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) % 256);
  };
  const write = (node: TestValue, isKey = false): void => {
    items += 1;
    const hit = !isKey && applies(node) && seen++ === target;
    if (hit && injection?.kind === "tag") {
      head(6, injection.tag);
      items += 1;
    }
    const indefinite = hit && injection?.kind === "indefinite";
    if (node === null) out.push(0xf6);
    else if (typeof node === "boolean") out.push(node ? 0xf5 : 0xf4);
    else if (typeof node === "number") {
      if (Number.isSafeInteger(node)) head(node < 0 ? 1 : 0, node < 0 ? -1 - node : node);
      else {
        const buf = Buffer.alloc(8);
        buf.writeDoubleBE(node, 0);
        out.push(0xfb, ...buf);
      }
    } else if (typeof node === "string" || node instanceof Uint8Array) {
      const bytes = typeof node === "string" ? Buffer.from(node, "utf8") : node;
      const major = typeof node === "string" ? 3 : 2;
      if (indefinite) out.push((major << 5) | 31);
      head(major, bytes.length);
      out.push(...bytes);
      if (indefinite) out.push(0xff);
    } else if (Array.isArray(node)) {
      if (indefinite) out.push(0x9f);
      else head(4, node.length);
      for (const item of node) write(item);
      if (indefinite) out.push(0xff);
    } else {
      const duplicate = hit && injection?.kind === "duplicate";
      if (indefinite) out.push(0xbf);
      else head(5, node.size + (duplicate ? 1 : 0));
      for (const [key, item] of node) {
        write(key, true);
        write(item);
      }
      if (duplicate && injection?.kind === "duplicate") {
        const first = node.keys().next().value as string | number;
        items += 2;
        if (typeof first === "string") {
          head(3, Buffer.byteLength(first), injection.width);
          out.push(...Buffer.from(first, "utf8"));
        } else {
          head(first < 0 ? 1 : 0, first < 0 ? -1 - first : first, injection.width);
        }
        out.push(0xf6);
      }
      if (indefinite) out.push(0xff);
    }
  };
  write(value);
  return { bytes: Uint8Array.from(out), items, injected: target >= 0 };
}

/** The number of nodes (map keys and tags included) of a value cbor-x decoded. */
export function decodedNodes(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((n: number, item) => n + decodedNodes(item), 0);
  if (value instanceof Map) {
    let n = 1;
    for (const [key, item] of value) n += decodedNodes(key) + decodedNodes(item);
    return n;
  }
  if (value instanceof Uint8Array) return 1;
  if (value !== null && typeof value === "object" && "tag" in value && "value" in value) {
    return 1 + decodedNodes((value as { value: unknown }).value);
  }
  if (value !== null && typeof value === "object") {
    return 1 + Object.values(value).reduce((n: number, item) => n + 1 + decodedNodes(item), 0);
  }
  return 1;
}

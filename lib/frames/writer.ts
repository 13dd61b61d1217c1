import { FRAME_VERSION, LENGTH_PREFIX_BYTES } from "./constants";

/**
 * Bytes of the reusable buffer frames are written into before being copied out.
 * Derivation: a vault request or reply is a few hundred bytes to a few KiB; 64 KiB
 * holds every frame of the hot path, and larger frames (blobs up to 1 MiB) are
 * dominated by copying their payload anyway, so they take the general encoder.
 */
const SCRATCH_BYTES = 64 * 1024;

/**
 * Nesting this writer follows before handing a value to the general encoder. Frame
 * bodies are a few levels deep; the decoder refuses more than MAX_BODY_DEPTH (32).
 */
const MAX_WRITER_DEPTH = 32;

/** Strings at least this long are written by the runtime's UTF-8 encoder. */
const NATIVE_UTF8_FROM = 64;

/** Any UTF-16 surrogate: strings holding one take the general encoder. */
const SURROGATE = /[\uD800-\uDFFF]/;

const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
let position = 0;

/** Thrown inside the writer when a value is outside its subset; never escapes. */
const UNSUPPORTED = Symbol("unsupported");

/**
 * Writes one frame (length prefix included) straight from its fields, for the
 * values frames carry on the hot path: null, booleans, integers in ±2³², strings
 * without surrogates, byte strings, arrays and plain objects. The bytes are exactly
 * those the general encoder (cbor-x with the codec's options: preferred
 * serialization, untagged byte strings, definite lengths) produces for the same
 * frame, so the wire format does not depend on which path wrote it.
 *
 * Returns `undefined` for anything else (floats, larger integers, surrogates,
 * `undefined`, other objects, frames beyond the scratch buffer): the caller then
 * uses the general encoder. Header fields must already be validated.
 */
export function writeFrame(channel: string, id: number, type: string, body: unknown): Buffer | undefined {
  position = LENGTH_PREFIX_BYTES;
  try {
    room(1);
    scratch[position++] = 0x85; // array of 5
    writeValue(FRAME_VERSION, 0);
    writeValue(channel, 0);
    writeValue(id, 0);
    writeValue(type, 0);
    writeValue(body, 0);
  } catch (err) {
    if (err === UNSUPPORTED) return undefined;
    throw err;
  }
  scratch.writeUInt32BE(position - LENGTH_PREFIX_BYTES, 0);
  const out = Buffer.allocUnsafe(position);
  scratch.copy(out, 0, 0, position);
  return out;
}

function room(bytes: number): void {
  if (position + bytes > SCRATCH_BYTES) throw UNSUPPORTED;
}

/** Writes a CBOR head: major type and argument, in the shortest form. */
function writeHead(major: number, argument: number): void {
  room(5);
  if (argument < 0x18) {
    scratch[position++] = major | argument;
  } else if (argument < 0x100) {
    scratch[position++] = major | 0x18;
    scratch[position++] = argument;
  } else if (argument < 0x10000) {
    scratch[position++] = major | 0x19;
    scratch[position++] = argument >> 8;
    scratch[position++] = argument & 0xff;
  } else {
    scratch[position++] = major | 0x1a;
    scratch.writeUInt32BE(argument, position);
    position += 4;
  }
}

function writeValue(value: unknown, depth: number): void {
  switch (typeof value) {
    case "string":
      writeString(value);
      return;
    case "number":
      writeNumber(value);
      return;
    case "boolean":
      room(1);
      scratch[position++] = value ? 0xf5 : 0xf4;
      return;
    case "object":
      break;
    default:
      throw UNSUPPORTED;
  }
  if (value === null) {
    room(1);
    scratch[position++] = 0xf6;
    return;
  }
  if (depth >= MAX_WRITER_DEPTH) throw UNSUPPORTED;
  // The same dispatch as the general encoder: by `constructor`, so anything it would
  // treat differently (class instances, null-prototype objects, Maps) is left to it.
  const kind = (value as { constructor?: unknown }).constructor;
  if (kind === Uint8Array || kind === Buffer) {
    const bytes = value as Uint8Array;
    writeHead(0x40, bytes.length);
    room(bytes.length);
    scratch.set(bytes, position);
    position += bytes.length;
  } else if (kind === Array) {
    const items = value as unknown[];
    writeHead(0x80, items.length);
    for (const item of items) writeValue(item, depth + 1);
  } else if (kind === Object) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    writeHead(0xa0, keys.length);
    for (const key of keys) {
      writeString(key);
      writeValue(record[key], depth + 1);
    }
  } else {
    throw UNSUPPORTED;
  }
}

function writeNumber(value: number): void {
  if (value >>> 0 === value) {
    writeHead(0x00, value);
  } else if (value < 0 && value >= -0x1_0000_0000 && Number.isInteger(value)) {
    writeHead(0x20, -1 - value);
  } else {
    throw UNSUPPORTED; // floats and integers beyond 32 bits
  }
}

function writeString(value: string): void {
  const length = value.length;
  if (length >= NATIVE_UTF8_FROM) {
    if (SURROGATE.test(value)) throw UNSUPPORTED;
    const bytes = Buffer.byteLength(value, "utf8");
    writeHead(0x60, bytes);
    room(bytes);
    position += scratch.write(value, position, bytes, "utf8");
    return;
  }
  let bytes = 0;
  for (let i = 0; i < length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdfff) throw UNSUPPORTED;
    else bytes += 3;
  }
  writeHead(0x60, bytes);
  room(bytes);
  if (bytes === length) {
    for (let i = 0; i < length; i += 1) scratch[position++] = value.charCodeAt(i);
    return;
  }
  for (let i = 0; i < length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x80) {
      scratch[position++] = code;
    } else if (code < 0x800) {
      scratch[position++] = 0xc0 | (code >> 6);
      scratch[position++] = 0x80 | (code & 0x3f);
    } else {
      scratch[position++] = 0xe0 | (code >> 12);
      scratch[position++] = 0x80 | ((code >> 6) & 0x3f);
      scratch[position++] = 0x80 | (code & 0x3f);
    }
  }
}

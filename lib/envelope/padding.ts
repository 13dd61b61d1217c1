import { VettidError } from "../errors";
import { MAX_INNER_FRAMING_BYTES, MAX_OP_LENGTH, MAX_PLAINTEXT_BYTES, PADDING_BUCKETS } from "./constants";

const OP_PATTERN = /^[a-z][a-z0-9_.-]*$/;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The padded size of a body of `bodyLength` bytes: the smallest of
 * {@link PADDING_BUCKETS} that holds the body plus the largest inner framing.
 * It depends on the body length only, never on the op.
 *
 * @throws VettidError `PAYLOAD_TOO_LARGE` above {@link MAX_PLAINTEXT_BYTES}.
 */
export function paddedLength(bodyLength: number): number {
  const needed = MAX_INNER_FRAMING_BYTES + bodyLength;
  const bucket = PADDING_BUCKETS.find((b) => b >= needed);
  if (bucket === undefined || bodyLength > MAX_PLAINTEXT_BYTES) {
    throw new VettidError("PAYLOAD_TOO_LARGE", `plaintext exceeds ${MAX_PLAINTEXT_BYTES} bytes`);
  }
  return bucket;
}

/**
 * Frames and pads what an envelope encrypts:
 * `opLength(1) | op | bodyLength(u32 BE) | body | zero bytes up to the bucket`.
 *
 * @example
 * padInner("items.get", body).length; // 256 for a body of up to 187 bytes
 */
export function padInner(op: string, body: Uint8Array): Uint8Array {
  checkOp(op, "VALIDATION_FAILED");
  const opBytes = textEncoder.encode(op);
  const inner = new Uint8Array(paddedLength(body.length));
  const view = new DataView(inner.buffer);
  inner[0] = opBytes.length;
  inner.set(opBytes, 1);
  view.setUint32(1 + opBytes.length, body.length);
  inner.set(body, 1 + opBytes.length + 4);
  return inner;
}

/**
 * Reads an authenticated inner plaintext back. The encoding is canonical: the op is
 * a valid name, the lengths are consistent, the inner length is exactly the bucket
 * {@link paddedLength} gives for the body, and every padding byte is zero.
 *
 * @throws VettidError `ENVELOPE_MALFORMED` on any deviation.
 */
export function unpadInner(inner: Uint8Array): { op: string; body: Uint8Array } {
  const opLength = inner[0] ?? 0;
  if (opLength === 0 || opLength > MAX_OP_LENGTH || inner.length < 1 + opLength + 4) {
    throw new VettidError("ENVELOPE_MALFORMED", "bad op length");
  }
  let op: string;
  try {
    op = textDecoder.decode(inner.subarray(1, 1 + opLength));
  } catch {
    throw new VettidError("ENVELOPE_MALFORMED", "op is not UTF-8");
  }
  checkOp(op, "ENVELOPE_MALFORMED");
  const view = new DataView(inner.buffer, inner.byteOffset, inner.byteLength);
  const bodyLength = view.getUint32(1 + opLength);
  const bodyStart = 1 + opLength + 4;
  if (bodyLength > MAX_PLAINTEXT_BYTES || bodyStart + bodyLength > inner.length) {
    throw new VettidError("ENVELOPE_MALFORMED", "body length exceeds the envelope");
  }
  if (inner.length !== paddedLength(bodyLength)) {
    throw new VettidError("ENVELOPE_MALFORMED", "padding does not match the body length");
  }
  for (let i = bodyStart + bodyLength; i < inner.length; i += 1) {
    if (inner[i] !== 0) throw new VettidError("ENVELOPE_MALFORMED", "padding is not zero");
  }
  return { op, body: inner.slice(bodyStart, bodyStart + bodyLength) };
}

function checkOp(op: string, code: "ENVELOPE_MALFORMED" | "VALIDATION_FAILED"): void {
  if (typeof op !== "string" || op.length === 0 || op.length > MAX_OP_LENGTH || !OP_PATTERN.test(op)) {
    throw new VettidError(code, "op must be a short lower-case name");
  }
}

import { sodium } from "../../lib/crypto";
import { blobKey } from "../../lib/proxy-protocol";
import { AUDIT_DIGEST_BYTES, equalDigests, MAX_AUDIT_ENTRY_BYTES, verifyAuditRun } from "../../lib/vault-audit";
import type { AuditSegmentContent } from "./audit-log";
import { decodePayload, encodePayload } from "./cbor";
import {
  AUDIT_SEGMENT_BLOB_PREFIX,
  AUDIT_SEGMENT_ENTRIES,
  AUDIT_SEGMENT_MAGIC,
  AUDIT_SEGMENT_PAD_BLOCK,
  KEY_BYTES,
  MAX_AUDIT_SEGMENT_PLAINTEXT_BYTES,
  NONCE_BYTES,
  ROOT_KEY_BYTES,
  TAG_BYTES,
} from "./constants";
import { STATE_REJECTIONS, StateInvalid, StateWriteRefused } from "./errors";
import { openLayer, sealLayer } from "./layer";

/**
 * Sealed audit segments, format 1 (docs/decisions/0058). One blob per segment,
 * `vaults/<vault id>/audit-<first seq>`, written create-only before the outer state
 * that drops its entries from the tail (a crash between leaves an orphan, harmless:
 * no state names it, and the next rollover writes the same entries again).
 *
 * Blob (big-endian): `"VTAS" | 0x01 | u64 first seq | nonce (24) | u32 c | ciphertext (c)`,
 * nothing after; `c − 16` a multiple of 1 KiB, at most 13 KiB.
 *
 * Plaintext: deterministic CBOR `{start: digest, entries: [entry bytes × 16]}`,
 * padded to 1 KiB blocks, sealed with XChaCha20-Poly1305-IETF under
 * `BLAKE2b-256(key = root key, "VETTID-AUDIT-1/segment-key" ‖ u8 len ‖ vault id)`.
 *
 * Associated data: `"VETTID-AUDIT-SEGMENT" ‖ 0x01 ‖ u8 len ‖ vault id ‖ u64 first seq ‖
 * end digest`. The reader knows the end digest from a trusted place — the outer
 * layer's `audit.base` for the newest segment, the `start` of the segment after it
 * for every other — so a segment opens only as its own vault, at its own position,
 * with the entries the chain above it commits to: another vault's segment, a swapped,
 * stale, altered or truncated one fails to authenticate. The chain over the entries
 * is recomputed from `start` as well.
 *
 * This file never changes once released; a new segment layout is `audit-segment-v2`.
 */

const SEGMENT_FORMAT_V1 = 1;
const AD_LABEL = "VETTID-AUDIT-SEGMENT";
const KEY_LABEL = "VETTID-AUDIT-1/segment-key";
const HEADER_BYTES = AUDIT_SEGMENT_MAGIC.length + 1 + 8;
const MAX_CIPHERTEXT_BYTES =
  (Math.floor(MAX_AUDIT_SEGMENT_PLAINTEXT_BYTES / AUDIT_SEGMENT_PAD_BLOCK) + 1) * AUDIT_SEGMENT_PAD_BLOCK + TAG_BYTES;

/** Largest segment blob: header, nonce, length and the largest ciphertext. */
export const MAX_AUDIT_SEGMENT_BYTES = HEADER_BYTES + NONCE_BYTES + 4 + MAX_CIPHERTEXT_BYTES;

const encoder = new TextEncoder();

/** The blob store key of the segment that starts at `firstSeq`. */
export function auditSegmentBlobKey(vaultId: string, firstSeq: number): string {
  checkFirstSeq(firstSeq);
  return blobKey(vaultId, `${AUDIT_SEGMENT_BLOB_PREFIX}${firstSeq}`);
}

/**
 * Seals the entries a rollover moves out of the tail.
 * @throws StateWriteRefused for content that is not one whole, chained segment (a caller bug).
 */
export function sealAuditSegment(
  content: AuditSegmentContent,
  keys: { vaultId: string; rootKey: Uint8Array },
): Uint8Array {
  const { firstSeq, start, entries, end } = content;
  checkFirstSeq(firstSeq);
  if (entries.length !== AUDIT_SEGMENT_ENTRIES) {
    throw new StateWriteRefused(`a segment holds ${AUDIT_SEGMENT_ENTRIES} entries`);
  }
  let run: ReturnType<typeof verifyAuditRun>;
  try {
    run = verifyAuditRun(keys.vaultId, start, firstSeq, entries);
  } catch (err) {
    throw new StateWriteRefused("the segment's entries do not form a run of the log", err);
  }
  if (!equalDigests(run.end, end)) throw new StateWriteRefused("the segment's entries do not chain to its end");
  const plaintext = encodePayload({ start, entries });
  const key = segmentKey(keys.rootKey, keys.vaultId);
  try {
    if (plaintext.length > MAX_AUDIT_SEGMENT_PLAINTEXT_BYTES) throw new StateWriteRefused("the segment is too large");
    const layer = sealLayer(plaintext, AUDIT_SEGMENT_PAD_BLOCK, associatedData(keys.vaultId, firstSeq, end), key);
    const out = new Uint8Array(HEADER_BYTES + NONCE_BYTES + 4 + layer.ciphertext.length);
    const view = new DataView(out.buffer);
    out.set(AUDIT_SEGMENT_MAGIC, 0);
    out[AUDIT_SEGMENT_MAGIC.length] = SEGMENT_FORMAT_V1;
    view.setBigUint64(AUDIT_SEGMENT_MAGIC.length + 1, BigInt(firstSeq));
    out.set(layer.nonce, HEADER_BYTES);
    view.setUint32(HEADER_BYTES + NONCE_BYTES, layer.ciphertext.length);
    out.set(layer.ciphertext, HEADER_BYTES + NONCE_BYTES + 4);
    return out;
  } finally {
    sodium().memzero(key);
  }
}

/**
 * Opens the segment of vault `vaultId` that must start at `firstSeq` and end at `end`
 * (the digest the reader trusts), and returns its content.
 *
 * @throws StateInvalid for a blob that does not parse (`bad_magic`, `truncated`,
 *   `out_of_bounds`, `trailing_bytes`), names another position, does not authenticate
 *   (`auth_failed`: another vault, position or end, or tampered) or does not hold a
 *   chained run of 16 entries (`payload_invalid`).
 */
export function openAuditSegment(
  bytes: Uint8Array,
  expected: { firstSeq: number; end: Uint8Array },
  keys: { vaultId: string; rootKey: Uint8Array },
): AuditSegmentContent {
  const { firstSeq, end } = expected;
  checkFirstSeq(firstSeq);
  if (bytes.length > MAX_AUDIT_SEGMENT_BYTES) {
    throw new StateInvalid(STATE_REJECTIONS.tooLarge, "audit segment too large");
  }
  if (bytes.length < HEADER_BYTES + NONCE_BYTES + 4) {
    throw new StateInvalid(STATE_REJECTIONS.truncated, "audit segment too short");
  }
  for (let i = 0; i < AUDIT_SEGMENT_MAGIC.length; i++) {
    if (bytes[i] !== AUDIT_SEGMENT_MAGIC[i]) throw new StateInvalid(STATE_REJECTIONS.badMagic, "not an audit segment");
  }
  if (bytes[AUDIT_SEGMENT_MAGIC.length] !== SEGMENT_FORMAT_V1) {
    throw new StateInvalid(STATE_REJECTIONS.unsupportedVersion, "audit segment format not supported");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getBigUint64(AUDIT_SEGMENT_MAGIC.length + 1) !== BigInt(firstSeq)) {
    throw new StateInvalid(STATE_REJECTIONS.authFailed, "the audit segment names another position");
  }
  const length = view.getUint32(HEADER_BYTES + NONCE_BYTES);
  if (
    length < AUDIT_SEGMENT_PAD_BLOCK + TAG_BYTES ||
    length > MAX_CIPHERTEXT_BYTES ||
    (length - TAG_BYTES) % AUDIT_SEGMENT_PAD_BLOCK !== 0
  ) {
    throw new StateInvalid(STATE_REJECTIONS.outOfBounds, "audit segment length out of bounds");
  }
  const at = HEADER_BYTES + NONCE_BYTES + 4;
  if (bytes.length - at < length) throw new StateInvalid(STATE_REJECTIONS.truncated, "audit segment truncated");
  if (bytes.length - at > length) throw new StateInvalid(STATE_REJECTIONS.trailingBytes, "bytes follow the segment");
  const layer = { nonce: bytes.slice(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), ciphertext: bytes.slice(at) };
  const key = segmentKey(keys.rootKey, keys.vaultId);
  try {
    const payload = openLayer(layer, AUDIT_SEGMENT_PAD_BLOCK, associatedData(keys.vaultId, firstSeq, end), key, (p) =>
      decodePayload(p),
    );
    return checkContent(payload, firstSeq, end, keys.vaultId);
  } finally {
    sodium().memzero(key);
  }
}

function checkContent(payload: unknown, firstSeq: number, end: Uint8Array, vaultId: string): AuditSegmentContent {
  const bad = (what: string, cause?: unknown): never => {
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, `audit segment: ${what}`, cause);
  };
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return bad("not a map");
  const map = payload as Record<string, unknown>;
  const keys = Object.keys(map);
  if (keys.length !== 2 || !Object.hasOwn(map, "start") || !Object.hasOwn(map, "entries")) {
    return bad("must hold exactly start and entries");
  }
  const start = map.start;
  const entries = map.entries;
  if (!(start instanceof Uint8Array) || start.length !== AUDIT_DIGEST_BYTES) return bad("start must be a digest");
  if (
    !Array.isArray(entries) ||
    entries.length !== AUDIT_SEGMENT_ENTRIES ||
    !entries.every((e) => e instanceof Uint8Array && e.length <= MAX_AUDIT_ENTRY_BYTES)
  ) {
    return bad(`entries must be ${AUDIT_SEGMENT_ENTRIES} encoded entries`);
  }
  let run: ReturnType<typeof verifyAuditRun>;
  try {
    run = verifyAuditRun(vaultId, start, firstSeq, entries as Uint8Array[]);
  } catch (err) {
    return bad((err as Error).message, err);
  }
  if (!equalDigests(run.end, end)) return bad("the entries do not chain to the segment's end");
  return { firstSeq, start, entries: entries as Uint8Array[], end };
}

function checkFirstSeq(firstSeq: number): void {
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 1 || (firstSeq - 1) % AUDIT_SEGMENT_ENTRIES !== 0) {
    throw new RangeError(`a segment starts at 1 + a multiple of ${AUDIT_SEGMENT_ENTRIES}`);
  }
}

function associatedData(vaultId: string, firstSeq: number, end: Uint8Array): Uint8Array {
  if (end.length !== AUDIT_DIGEST_BYTES) throw new RangeError(`a chain digest is ${AUDIT_DIGEST_BYTES} bytes`);
  const label = encoder.encode(AD_LABEL);
  const id = idBytes(vaultId);
  const out = new Uint8Array(label.length + 1 + id.length + 8 + end.length);
  let pos = 0;
  out.set(label, pos);
  pos += label.length;
  out[pos++] = SEGMENT_FORMAT_V1;
  out.set(id, pos);
  pos += id.length;
  new DataView(out.buffer).setBigUint64(pos, BigInt(firstSeq));
  pos += 8;
  out.set(end, pos);
  return out;
}

/** The segment key: from the root key alone (a failed unlock, without the PIN, may roll the log over). */
function segmentKey(rootKey: Uint8Array, vaultId: string): Uint8Array {
  if (!(rootKey instanceof Uint8Array) || rootKey.length !== ROOT_KEY_BYTES) {
    throw new RangeError(`the root key is ${ROOT_KEY_BYTES} bytes`);
  }
  const label = encoder.encode(KEY_LABEL);
  const id = idBytes(vaultId);
  const input = new Uint8Array(label.length + id.length);
  input.set(label, 0);
  input.set(id, label.length);
  return sodium().crypto_generichash(KEY_BYTES, input, rootKey);
}

function idBytes(vaultId: string): Uint8Array {
  const id = encoder.encode(vaultId);
  if (id.length === 0 || id.length > 255) throw new RangeError("a vault id is 1 to 255 bytes");
  const out = new Uint8Array(id.length + 1);
  out[0] = id.length;
  out.set(id, 1);
  return out;
}

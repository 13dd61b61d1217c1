import { sodium } from "../../lib/crypto";
import { decodePayload } from "./cbor";
import {
  INNER_PAD_BLOCK,
  MAX_KMS_BLOB_BYTES,
  MAX_OUTER_PLAINTEXT_BYTES,
  MAX_STATE_BLOB_BYTES,
  NONCE_BYTES,
  OUTER_PAD_BLOCK,
  STATE_MAGIC,
  STATE_PREFIX_BYTES,
  TAG_BYTES,
} from "./constants";
import { STATE_REJECTIONS, StateInvalid, StateRejected } from "./errors";
import { layerDigest, openLayer, sealLayer } from "./layer";
import { decodeInnerV1, decodeOuterV1, encodeInnerV1, encodeOuterV1, INNER_FORMAT_V1 } from "./payload-v1";
import type {
  InnerRef,
  InnerState,
  OuterFields,
  OuterState,
  OuterWithoutAudit,
  SealedLayer,
  SealedState,
  StateFormat,
  WrittenState,
} from "./types";

/**
 * Sealed state format 1. This file never changes once released: a new layout, new
 * associated data or a new payload is `format-v2.ts`, and this one keeps reading
 * (and, for outer-only rewrites, writing) the blobs it wrote.
 *
 * Blob (all integers big-endian):
 *
 * | bytes | field |
 * | --- | --- |
 * | 4 | magic `VTVS` |
 * | 1 | format version = 1 |
 * | 8 | state version (u64, 1 ≤ v ≤ 2^53 − 1) |
 * | 2 | KMS blob length k (1 ≤ k ≤ 6,144) |
 * | k | KMS `CiphertextBlob` of the root key |
 * | 4 | outer ciphertext length o (tag included; o − 16 a multiple of 1 KiB, ≤ 17 KiB) |
 * | 24 + o | outer nonce, outer ciphertext |
 * | 4 | inner ciphertext length i (tag included; i − 16 a multiple of 4 KiB) |
 * | 24 + i | inner nonce, inner ciphertext |
 *
 * Nothing follows; the whole blob is at most 1 MiB.
 *
 * Associated data (`‖` concatenation, ids as u8 length ‖ UTF-8, versions u64):
 *
 * - outer: `VETTID-STATE ‖ 0x01 ‖ vault id ‖ state version ‖ "outer" ‖
 *   BLAKE2b-256(KMS blob) ‖ BLAKE2b-256(inner nonce ‖ inner ciphertext)`;
 * - inner: `VETTID-STATE ‖ 0x01 (inner format) ‖ vault id ‖ inner version ‖ "inner"`,
 *   where the inner version is the state version at which the inner layer was last
 *   sealed (the outer layer records it, with the inner digest).
 *
 * So every byte of the blob is authenticated by the outer layer: header, KMS blob and
 * inner layer through its associated data. The inner layer carries the version it
 * was sealed at rather than the current one because the outer layer is rewritten
 * without the PIN (the attempt counter is written before the PIN is checked), and
 * the inner layer cannot be resealed then.
 */

/** This format's version byte. */
export const FORMAT_V1 = 1;

/** Domain label at the start of every associated data of this format. */
const AD_LABEL = "VETTID-STATE";

const STATE_VERSION_BYTES = 8;
const KMS_LENGTH_BYTES = 2;
const LAYER_LENGTH_BYTES = 4;

/** Largest outer ciphertext: the largest plaintext padded to the next 1 KiB block, plus the tag. */
const MAX_OUTER_CIPHERTEXT_BYTES =
  (Math.floor(MAX_OUTER_PLAINTEXT_BYTES / OUTER_PAD_BLOCK) + 1) * OUTER_PAD_BLOCK + TAG_BYTES;

/** Smallest blob: header, a 1-byte KMS blob, and two layers of one padding block each. */
export const MIN_BLOB_BYTES_V1 =
  STATE_PREFIX_BYTES +
  STATE_VERSION_BYTES +
  KMS_LENGTH_BYTES +
  1 +
  2 * (LAYER_LENGTH_BYTES + NONCE_BYTES + TAG_BYTES) +
  OUTER_PAD_BLOCK +
  INNER_PAD_BLOCK;

const encoder = new TextEncoder();

/** Format 1, as index.ts dispatches to it. */
export const formatV1: StateFormat = {
  version: FORMAT_V1,
  innerFormat: INNER_FORMAT_V1,
  holdsAudit: false,
  holdsRecovery: false,
  holdsChanges: false,
  parse: parseV1,
  seal: sealV1,
  resealOuter: resealOuterV1,
  openOuter: openOuterV1,
  openInner: openInnerV1,
};

/**
 * Reads the layout of a format 1 blob (magic and version already checked by the
 * caller), every length bounded before it is used. Authenticates nothing.
 * @throws StateInvalid `truncated`, `out_of_bounds` or `trailing_bytes`.
 */
export function parseV1(bytes: Uint8Array): SealedState {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = STATE_PREFIX_BYTES;
  const need = (n: number): void => {
    if (bytes.length - pos < n) throw new StateInvalid(STATE_REJECTIONS.truncated, "the blob ends inside a field");
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  const outOfBounds = (what: string): never => {
    throw new StateInvalid(STATE_REJECTIONS.outOfBounds, `${what} out of bounds`);
  };

  need(STATE_VERSION_BYTES);
  const version = view.getBigUint64(pos);
  pos += STATE_VERSION_BYTES;
  if (version < 1n || version > BigInt(Number.MAX_SAFE_INTEGER)) outOfBounds("state version");

  need(KMS_LENGTH_BYTES);
  const kmsLength = view.getUint16(pos);
  pos += KMS_LENGTH_BYTES;
  if (kmsLength < 1 || kmsLength > MAX_KMS_BLOB_BYTES) outOfBounds("KMS blob length");
  const kmsCiphertextBlob = take(kmsLength);

  const layer = (block: number, max: number, what: string): SealedLayer => {
    need(LAYER_LENGTH_BYTES);
    const length = view.getUint32(pos);
    pos += LAYER_LENGTH_BYTES;
    if (length < block + TAG_BYTES || length > max || (length - TAG_BYTES) % block !== 0) outOfBounds(what);
    const nonce = take(NONCE_BYTES);
    return { nonce, ciphertext: take(length) };
  };
  const outer = layer(OUTER_PAD_BLOCK, MAX_OUTER_CIPHERTEXT_BYTES, "outer layer length");
  const inner = layer(INNER_PAD_BLOCK, MAX_STATE_BLOB_BYTES, "inner layer length");

  if (pos !== bytes.length) throw new StateInvalid(STATE_REJECTIONS.trailingBytes, "bytes follow the inner layer");
  return { formatVersion: FORMAT_V1, stateVersion: Number(version), kmsCiphertextBlob, outer, inner };
}

/**
 * Writes a format 1 blob.
 * @throws StateRejected `PAYLOAD_TOO_LARGE` above the blob limit.
 */
export function serializeV1(sealed: SealedState): Uint8Array {
  const { kmsCiphertextBlob: kms, outer, inner } = sealed;
  const total =
    STATE_PREFIX_BYTES +
    STATE_VERSION_BYTES +
    KMS_LENGTH_BYTES +
    kms.length +
    2 * (LAYER_LENGTH_BYTES + NONCE_BYTES) +
    outer.ciphertext.length +
    inner.ciphertext.length;
  if (total > MAX_STATE_BLOB_BYTES) {
    throw new StateRejected("PAYLOAD_TOO_LARGE", `the vault state (${total} bytes) exceeds ${MAX_STATE_BLOB_BYTES}`, {
      bytes: total,
      limit: MAX_STATE_BLOB_BYTES,
    });
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(STATE_MAGIC, 0);
  out[STATE_MAGIC.length] = FORMAT_V1;
  let pos = STATE_PREFIX_BYTES;
  view.setBigUint64(pos, BigInt(sealed.stateVersion));
  pos += STATE_VERSION_BYTES;
  view.setUint16(pos, kms.length);
  pos += KMS_LENGTH_BYTES;
  out.set(kms, pos);
  pos += kms.length;
  for (const layer of [outer, inner]) {
    view.setUint32(pos, layer.ciphertext.length);
    pos += LAYER_LENGTH_BYTES;
    out.set(layer.nonce, pos);
    pos += NONCE_BYTES;
    out.set(layer.ciphertext, pos);
    pos += layer.ciphertext.length;
  }
  return out;
}

/** Associated data of the outer layer (see the file comment). */
export function outerAssociatedData(
  vaultId: string,
  stateVersion: number,
  kmsCiphertextBlob: Uint8Array,
  inner: SealedLayer,
): Uint8Array {
  const s = sodium();
  return associatedData(
    FORMAT_V1,
    vaultId,
    stateVersion,
    "outer",
    s.crypto_generichash(32, kmsCiphertextBlob, null),
    layerDigest(inner),
  );
}

/** Associated data of an inner layer of inner format 1 sealed at `innerVersion`. */
export function innerAssociatedData(vaultId: string, innerVersion: number): Uint8Array {
  return associatedData(INNER_FORMAT_V1, vaultId, innerVersion, "inner");
}

function associatedData(
  format: number,
  vaultId: string,
  version: number,
  layer: "outer" | "inner",
  ...digests: Uint8Array[]
): Uint8Array {
  const label = encoder.encode(AD_LABEL);
  const id = encoder.encode(vaultId);
  const name = encoder.encode(layer);
  const digestBytes = digests.reduce((n, d) => n + d.length, 0);
  const out = new Uint8Array(label.length + 1 + 1 + id.length + 8 + 1 + name.length + digestBytes);
  const view = new DataView(out.buffer);
  let pos = 0;
  out.set(label, pos);
  pos += label.length;
  out[pos++] = format;
  out[pos++] = id.length;
  out.set(id, pos);
  pos += id.length;
  view.setBigUint64(pos, BigInt(version));
  pos += 8;
  out[pos++] = name.length;
  out.set(name, pos);
  pos += name.length;
  for (const digest of digests) {
    out.set(digest, pos);
    pos += digest.length;
  }
  return out;
}

/**
 * Seals an inner layer of inner format 1 at `stateVersion` (formats 1, 2 and 3 all
 * write it), and the outer layer's reference to it.
 */
export function sealInnerV1(
  vaultId: string,
  stateVersion: number,
  inner: InnerState,
  innerKey: Uint8Array,
): { layer: SealedLayer; ref: InnerRef } {
  const plaintext = encodeInnerV1(inner);
  try {
    const layer = sealLayer(plaintext, INNER_PAD_BLOCK, innerAssociatedData(vaultId, stateVersion), innerKey);
    return { layer, ref: { format: INNER_FORMAT_V1, version: stateVersion, digest: layerDigest(layer) } };
  } finally {
    sodium().memzero(plaintext);
  }
}

/**
 * Seals both layers into a new blob; the inner layer is sealed at `outer.stateVersion`.
 * The caller (index.ts `sealState`) has checked the version, the PIN key and the ids.
 */
export function sealV1(input: {
  vaultId: string;
  kmsCiphertextBlob: Uint8Array;
  outer: OuterFields;
  inner: InnerState;
  outerKey: Uint8Array;
  innerKey: Uint8Array;
}): WrittenState {
  const { layer, ref } = sealInnerV1(input.vaultId, input.outer.stateVersion, input.inner, input.innerKey);
  return sealOuterInto({ ...input.outer, inner: ref }, input.kmsCiphertextBlob, layer, input.outerKey);
}

/** Seals a new outer layer over the inner layer of `previous`, kept byte for byte. */
export function resealOuterV1(previous: SealedState, outer: OuterState, outerKey: Uint8Array): WrittenState {
  return sealOuterInto(outer, previous.kmsCiphertextBlob, previous.inner, outerKey);
}

function sealOuterInto(outer: OuterState, kms: Uint8Array, inner: SealedLayer, key: Uint8Array): WrittenState {
  const plaintext = encodeOuterV1(outer);
  try {
    if (plaintext.length > MAX_OUTER_PLAINTEXT_BYTES) {
      throw new StateRejected("PAYLOAD_TOO_LARGE", `the outer state exceeds ${MAX_OUTER_PLAINTEXT_BYTES} bytes`);
    }
    const ad = outerAssociatedData(outer.vaultId, outer.stateVersion, kms, inner);
    const sealed: SealedState = {
      formatVersion: FORMAT_V1,
      stateVersion: outer.stateVersion,
      kmsCiphertextBlob: kms,
      outer: sealLayer(plaintext, OUTER_PAD_BLOCK, ad, key),
      inner,
    };
    return { bytes: serializeV1(sealed), sealed, outer };
  } finally {
    sodium().memzero(plaintext);
  }
}

/**
 * Opens the outer layer of a parsed format 1 blob as vault `vaultId`.
 * @throws StateInvalid `auth_failed` (wrong key or vault, another version, tampered),
 *   `inner_mismatch`, `payload_invalid`.
 */
export function openOuterV1(sealed: SealedState, vaultId: string, outerKey: Uint8Array): OuterWithoutAudit {
  const ad = outerAssociatedData(vaultId, sealed.stateVersion, sealed.kmsCiphertextBlob, sealed.inner);
  const outer = openLayer(sealed.outer, OUTER_PAD_BLOCK, ad, outerKey, (plaintext) =>
    decodeOuterV1(decodePayload(plaintext)),
  );
  // Bound by the associated data already; checked again so a format bug cannot slip through.
  if (outer.vaultId !== vaultId || outer.stateVersion !== sealed.stateVersion) {
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, "the outer layer names another vault or version");
  }
  if (outer.inner.version > outer.stateVersion) {
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, "the inner layer is newer than the state");
  }
  if (!sodium().memcmp(outer.inner.digest, layerDigest(sealed.inner))) {
    throw new StateInvalid(STATE_REJECTIONS.innerMismatch, "the outer layer names another inner layer");
  }
  return outer;
}

/**
 * Opens an inner layer of inner format 1 sealed at `innerVersion`.
 * @throws StateInvalid `auth_failed` (wrong key, vault or version, tampered), `payload_invalid`.
 */
export function openInnerV1(
  layer: SealedLayer,
  innerVersion: number,
  vaultId: string,
  innerKey: Uint8Array,
): InnerState {
  const ad = innerAssociatedData(vaultId, innerVersion);
  return openLayer(layer, INNER_PAD_BLOCK, ad, innerKey, (plaintext) => decodeInnerV1(decodePayload(plaintext)));
}

import { sodium } from "../../lib/crypto";
import { decodePayload } from "./cbor";
import {
  INNER_PAD_BLOCK,
  MAX_KMS_BLOB_BYTES,
  MAX_OUTER_PLAINTEXT_BYTES_V2,
  MAX_STATE_BLOB_BYTES,
  NONCE_BYTES,
  OUTER_PAD_BLOCK,
  STATE_MAGIC,
  STATE_PREFIX_BYTES,
  TAG_BYTES,
} from "./constants";
import { STATE_REJECTIONS, StateInvalid, StateRejected } from "./errors";
import { openInnerV1, sealInnerV1 } from "./format-v1";
import { layerDigest, openLayer, sealLayer } from "./layer";
import { INNER_FORMAT_V1 } from "./payload-v1";
import { decodeOuterV2, encodeOuterV2 } from "./payload-v2";
import type {
  InnerState,
  OuterFields,
  OuterState,
  OuterWithoutRecovery,
  SealedLayer,
  SealedState,
  StateFormat,
  WrittenState,
} from "./types";

/**
 * Sealed state format 2: format 1 with the audit log's head in the outer layer
 * (docs/decisions/0058). This file never changes once released.
 *
 * Blob: the layout of format 1 (format-v1.ts) with version byte 2, and an outer
 * ciphertext of up to 37 KiB (o − 16 a multiple of 1 KiB): the outer plaintext may be
 * 36 KiB (constants.ts `MAX_OUTER_PLAINTEXT_BYTES_V2`).
 *
 * Associated data:
 *
 * - outer: `VETTID-STATE ‖ 0x02 ‖ vault id ‖ state version ‖ "outer" ‖
 *   BLAKE2b-256(KMS blob) ‖ BLAKE2b-256(inner nonce ‖ inner ciphertext)`;
 * - inner: exactly format 1's (inner format 1, payload-v1.ts), so the inner layer of a
 *   format 1 blob is a valid inner layer of format 2, kept byte for byte when an
 *   outer-only rewrite moves the blob to format 2.
 *
 * Keys: format 1's (keys.ts); the format byte in the outer associated data keeps an
 * outer layer of one format from opening as the other.
 */

/** This format's version byte. */
export const FORMAT_V2 = 2;

const AD_LABEL = "VETTID-STATE";
const STATE_VERSION_BYTES = 8;
const KMS_LENGTH_BYTES = 2;
const LAYER_LENGTH_BYTES = 4;

const MAX_OUTER_CIPHERTEXT_BYTES =
  (Math.floor(MAX_OUTER_PLAINTEXT_BYTES_V2 / OUTER_PAD_BLOCK) + 1) * OUTER_PAD_BLOCK + TAG_BYTES;

const encoder = new TextEncoder();

/** Format 2, as index.ts dispatches to it. */
export const formatV2: StateFormat = {
  version: FORMAT_V2,
  innerFormat: INNER_FORMAT_V1,
  holdsAudit: true,
  holdsRecovery: false,
  holdsChanges: false,
  parse: parseV2,
  seal: sealV2,
  resealOuter: resealOuterV2,
  openOuter: openOuterV2,
  openInner: openInnerV1,
};

/**
 * Reads the layout of a format 2 blob (magic and version already checked by the
 * caller), every length bounded before it is used. Authenticates nothing.
 * @throws StateInvalid `truncated`, `out_of_bounds` or `trailing_bytes`.
 */
export function parseV2(bytes: Uint8Array): SealedState {
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
  return { formatVersion: FORMAT_V2, stateVersion: Number(version), kmsCiphertextBlob, outer, inner };
}

/**
 * Writes a format 2 blob.
 * @throws StateRejected `PAYLOAD_TOO_LARGE` above the blob limit.
 */
export function serializeV2(sealed: SealedState): Uint8Array {
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
  out[STATE_MAGIC.length] = FORMAT_V2;
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
export function outerAssociatedDataV2(
  vaultId: string,
  stateVersion: number,
  kmsCiphertextBlob: Uint8Array,
  inner: SealedLayer,
): Uint8Array {
  const label = encoder.encode(AD_LABEL);
  const id = encoder.encode(vaultId);
  const name = encoder.encode("outer");
  const kmsDigest = sodium().crypto_generichash(32, kmsCiphertextBlob, null);
  const innerDigest = layerDigest(inner);
  const out = new Uint8Array(label.length + 1 + 1 + id.length + 8 + 1 + name.length + 64);
  const view = new DataView(out.buffer);
  let pos = 0;
  out.set(label, pos);
  pos += label.length;
  out[pos++] = FORMAT_V2;
  out[pos++] = id.length;
  out.set(id, pos);
  pos += id.length;
  view.setBigUint64(pos, BigInt(stateVersion));
  pos += 8;
  out[pos++] = name.length;
  out.set(name, pos);
  pos += name.length;
  out.set(kmsDigest, pos);
  pos += 32;
  out.set(innerDigest, pos);
  return out;
}

/**
 * Seals both layers into a new blob; the inner layer (inner format 1) at
 * `outer.stateVersion`. The caller (index.ts `sealState`) has checked the version, the
 * PIN key and the ids.
 */
export function sealV2(input: {
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

/** Seals a new outer layer over the inner layer of `previous` (format 1 or 2), kept byte for byte. */
export function resealOuterV2(previous: SealedState, outer: OuterState, outerKey: Uint8Array): WrittenState {
  return sealOuterInto(outer, previous.kmsCiphertextBlob, previous.inner, outerKey);
}

function sealOuterInto(outer: OuterState, kms: Uint8Array, inner: SealedLayer, key: Uint8Array): WrittenState {
  const plaintext = encodeOuterV2(outer);
  try {
    if (plaintext.length > MAX_OUTER_PLAINTEXT_BYTES_V2) {
      throw new StateRejected("PAYLOAD_TOO_LARGE", `the outer state exceeds ${MAX_OUTER_PLAINTEXT_BYTES_V2} bytes`);
    }
    const ad = outerAssociatedDataV2(outer.vaultId, outer.stateVersion, kms, inner);
    const sealed: SealedState = {
      formatVersion: FORMAT_V2,
      stateVersion: outer.stateVersion,
      kmsCiphertextBlob: kms,
      outer: sealLayer(plaintext, OUTER_PAD_BLOCK, ad, key),
      inner,
    };
    return { bytes: serializeV2(sealed), sealed, outer };
  } finally {
    sodium().memzero(plaintext);
  }
}

/**
 * Opens the outer layer of a parsed format 2 blob as vault `vaultId`.
 * @throws StateInvalid `auth_failed` (wrong key or vault, another version or format,
 *   tampered), `inner_mismatch`, `payload_invalid` (the audit log's head included).
 */
export function openOuterV2(sealed: SealedState, vaultId: string, outerKey: Uint8Array): OuterWithoutRecovery {
  const ad = outerAssociatedDataV2(vaultId, sealed.stateVersion, sealed.kmsCiphertextBlob, sealed.inner);
  const outer = openLayer(sealed.outer, OUTER_PAD_BLOCK, ad, outerKey, (plaintext) =>
    decodeOuterV2(decodePayload(plaintext)),
  );
  return checkOpenedOuter(outer, sealed, vaultId);
}

/**
 * The checks of an opened outer layer against its blob (formats 2 and 3): it names
 * this vault and the blob's version, an inner layer no newer, and the inner layer the
 * blob holds.
 * @throws StateInvalid `payload_invalid`, `inner_mismatch`.
 */
export function checkOpenedOuter<T extends Pick<OuterState, "vaultId" | "stateVersion" | "inner">>(
  outer: T,
  sealed: SealedState,
  vaultId: string,
): T {
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

import { sodium } from "../../lib/crypto";
import { decodePayload } from "./cbor";
import { MAX_OUTER_PLAINTEXT_BYTES_V2, OUTER_PAD_BLOCK } from "./constants";
import { StateRejected } from "./errors";
import { openInnerV1, sealInnerV1 } from "./format-v1";
import { checkOpenedOuter, outerAssociatedDataV2, parseV2, serializeV2 } from "./format-v2";
import { openLayer, sealLayer } from "./layer";
import { INNER_FORMAT_V1 } from "./payload-v1";
import { decodeOuterV4, encodeOuterV4 } from "./payload-v4";
import type { InnerState, OuterFields, OuterState, SealedLayer, SealedState, StateFormat, WrittenState } from "./types";

/**
 * Sealed state format 4: format 3 with the head of the vault's change events in the
 * outer layer (docs/decisions/0073: the sequence the next event takes and the chain
 * digest after the last committed one). This file never changes once released.
 *
 * Blob: format 2's layout (format-v2.ts) with version byte 4; the same bounds.
 * Associated data: format 2's with the format byte 4, so an outer layer of one format
 * never opens as another. The inner layer is inner format 1, as in formats 1 to 3,
 * kept byte for byte when an outer-only rewrite moves a blob to format 4.
 */

/** This format's version byte. */
export const FORMAT_V4 = 4;

/** Where the format byte sits in format 2's outer associated data: right after `VETTID-STATE`. */
const AD_FORMAT_OFFSET = "VETTID-STATE".length;

/** Format 4, as index.ts dispatches to it. */
export const formatV4: StateFormat = {
  version: FORMAT_V4,
  innerFormat: INNER_FORMAT_V1,
  holdsAudit: true,
  holdsRecovery: true,
  holdsChanges: true,
  parse: (bytes) => ({ ...parseV2(bytes), formatVersion: FORMAT_V4 }),
  seal: sealV4,
  resealOuter: (previous, outer, key) => sealOuterInto(outer, previous.kmsCiphertextBlob, previous.inner, key),
  openOuter: openOuterV4,
  openInner: openInnerV1,
};

/** Format 2's outer associated data with this format's byte. */
function outerAssociatedDataV4(
  vaultId: string,
  stateVersion: number,
  kmsCiphertextBlob: Uint8Array,
  inner: SealedLayer,
): Uint8Array {
  const ad = outerAssociatedDataV2(vaultId, stateVersion, kmsCiphertextBlob, inner);
  ad[AD_FORMAT_OFFSET] = FORMAT_V4;
  return ad;
}

function serializeV4(sealed: SealedState): Uint8Array {
  const bytes = serializeV2(sealed);
  bytes[4] = FORMAT_V4;
  return bytes;
}

function sealV4(input: {
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

function sealOuterInto(outer: OuterState, kms: Uint8Array, inner: SealedLayer, key: Uint8Array): WrittenState {
  const plaintext = encodeOuterV4(outer);
  try {
    if (plaintext.length > MAX_OUTER_PLAINTEXT_BYTES_V2) {
      throw new StateRejected("PAYLOAD_TOO_LARGE", `the outer state exceeds ${MAX_OUTER_PLAINTEXT_BYTES_V2} bytes`);
    }
    const ad = outerAssociatedDataV4(outer.vaultId, outer.stateVersion, kms, inner);
    const sealed: SealedState = {
      formatVersion: FORMAT_V4,
      stateVersion: outer.stateVersion,
      kmsCiphertextBlob: kms,
      outer: sealLayer(plaintext, OUTER_PAD_BLOCK, ad, key),
      inner,
    };
    return { bytes: serializeV4(sealed), sealed, outer };
  } finally {
    sodium().memzero(plaintext);
  }
}

/**
 * Opens the outer layer of a parsed format 4 blob as vault `vaultId`.
 * @throws StateInvalid as format 2 does.
 */
function openOuterV4(sealed: SealedState, vaultId: string, outerKey: Uint8Array): OuterState {
  const ad = outerAssociatedDataV4(vaultId, sealed.stateVersion, sealed.kmsCiphertextBlob, sealed.inner);
  const outer = openLayer(sealed.outer, OUTER_PAD_BLOCK, ad, outerKey, (plaintext) =>
    decodeOuterV4(decodePayload(plaintext)),
  );
  return checkOpenedOuter(outer, sealed, vaultId);
}

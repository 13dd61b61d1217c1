import { sodium } from "../../lib/crypto";
import { decodePayload } from "./cbor";
import { MAX_OUTER_PLAINTEXT_BYTES_V2, OUTER_PAD_BLOCK } from "./constants";
import { StateRejected } from "./errors";
import { openInnerV1, sealInnerV1 } from "./format-v1";
import { checkOpenedOuter, outerAssociatedDataV2, parseV2, serializeV2 } from "./format-v2";
import { openLayer, sealLayer } from "./layer";
import { INNER_FORMAT_V1 } from "./payload-v1";
import { decodeOuterV3, encodeOuterV3 } from "./payload-v3";
import type {
  InnerState,
  OuterFields,
  OuterState,
  OuterWithoutChanges,
  SealedLayer,
  SealedState,
  StateFormat,
  WrittenState,
} from "./types";

/**
 * Sealed state format 3: format 2 with the recovery record in the outer layer
 * (docs/decisions/0068: backups exported, restores counted, a recovery waiting for
 * its delay). This file never changes once released.
 *
 * Blob: format 2's layout (format-v2.ts) with version byte 3; the same bounds.
 * Associated data: format 2's with the format byte 3, so an outer layer of one format
 * never opens as the other. The inner layer is inner format 1, as in formats 1 and 2,
 * kept byte for byte when an outer-only rewrite moves a blob to format 3.
 */

/** This format's version byte. */
export const FORMAT_V3 = 3;

/** Where the format byte sits in format 2's outer associated data: right after `VETTID-STATE`. */
const AD_FORMAT_OFFSET = "VETTID-STATE".length;

/** Format 3, as index.ts dispatches to it. */
export const formatV3: StateFormat = {
  version: FORMAT_V3,
  innerFormat: INNER_FORMAT_V1,
  holdsAudit: true,
  holdsRecovery: true,
  holdsChanges: false,
  parse: (bytes) => ({ ...parseV2(bytes), formatVersion: FORMAT_V3 }),
  seal: sealV3,
  resealOuter: (previous, outer, key) => sealOuterInto(outer, previous.kmsCiphertextBlob, previous.inner, key),
  openOuter: openOuterV3,
  openInner: openInnerV1,
};

/** Format 2's outer associated data with this format's byte. */
function outerAssociatedDataV3(
  vaultId: string,
  stateVersion: number,
  kmsCiphertextBlob: Uint8Array,
  inner: SealedLayer,
): Uint8Array {
  const ad = outerAssociatedDataV2(vaultId, stateVersion, kmsCiphertextBlob, inner);
  ad[AD_FORMAT_OFFSET] = FORMAT_V3;
  return ad;
}

function serializeV3(sealed: SealedState): Uint8Array {
  const bytes = serializeV2(sealed);
  bytes[4] = FORMAT_V3;
  return bytes;
}

function sealV3(input: {
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
  const plaintext = encodeOuterV3(outer);
  try {
    if (plaintext.length > MAX_OUTER_PLAINTEXT_BYTES_V2) {
      throw new StateRejected("PAYLOAD_TOO_LARGE", `the outer state exceeds ${MAX_OUTER_PLAINTEXT_BYTES_V2} bytes`);
    }
    const ad = outerAssociatedDataV3(outer.vaultId, outer.stateVersion, kms, inner);
    const sealed: SealedState = {
      formatVersion: FORMAT_V3,
      stateVersion: outer.stateVersion,
      kmsCiphertextBlob: kms,
      outer: sealLayer(plaintext, OUTER_PAD_BLOCK, ad, key),
      inner,
    };
    return { bytes: serializeV3(sealed), sealed, outer };
  } finally {
    sodium().memzero(plaintext);
  }
}

/**
 * Opens the outer layer of a parsed format 3 blob as vault `vaultId`.
 * @throws StateInvalid as format 2 does.
 */
function openOuterV3(sealed: SealedState, vaultId: string, outerKey: Uint8Array): OuterWithoutChanges {
  const ad = outerAssociatedDataV3(vaultId, sealed.stateVersion, sealed.kmsCiphertextBlob, sealed.inner);
  const outer = openLayer(sealed.outer, OUTER_PAD_BLOCK, ad, outerKey, (plaintext) =>
    decodeOuterV3(decodePayload(plaintext)),
  );
  return checkOpenedOuter(outer, sealed, vaultId);
}

import { Decoder, Encoder } from "cbor-x";

/**
 * The plain CBOR this project writes and reads after a strict check: no cbor-x record
 * extension, byte strings untagged (major type 2), maps without tag 259, and decoded
 * maps kept as `Map` so keys such as `__proto__` never touch a prototype. Shared by
 * every encoder of ours that is not the frame codec's hot path.
 */
export const plainEncoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  pack: false,
  variableMapSize: true,
  useTag259ForMaps: false,
} as ConstructorParameters<typeof Encoder>[0]);

/** Decodes plain CBOR into `Map`s; run {@link createStrictCborCheck} on untrusted bytes first. */
export const plainDecoder = new Decoder({ useRecords: false, mapsAsObjects: false });

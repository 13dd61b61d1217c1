/**
 * Strict CBOR: a bounded pre-pass over untrusted bytes, run before cbor-x decodes them
 * (docs/decisions/0050-strict-cbor-pre-pass.md).
 */

export { DEFAULT_ITEMS_PER_BYTE, DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT } from "./constants";
export { CBOR_REJECTIONS, CborError, type CborRejection, isCborError } from "./errors";
export type { CborKeyType, StrictCborOptions } from "./options";
export { plainDecoder, plainEncoder } from "./plain";
export { createStrictCborCheck, type StrictCborCheck, type StrictCborSummary } from "./strict";

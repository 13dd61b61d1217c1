/** PCR manifests: schema, threshold signing, chained verification and release lookup (DESIGN.md §4, decision 0067). */
export {
  MANIFEST_ALG,
  MAX_ISSUED_AT_SKEW_MS,
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_SIGNATURES,
  MAX_RELEASE_KEYS,
  MIN_RELEASE_THRESHOLD,
  RELEASE_ACTIVATION_DELAY_MS,
} from "./constants";
export { MANIFEST_PATH, manifestHistoryKey, manifestHistoryUrl } from "./history";
export { manifestDigest, parseManifestEnvelope } from "./jws";
export {
  parseReleaseKeySet,
  type ReleaseKey,
  type ReleaseKeySet,
  ReleaseKeySetSchema,
  releaseKeySet,
  sameKeySet,
} from "./key-set";
export { generateManifestKeyPair, type ManifestKeyPair } from "./keys";
export { readManifestBody } from "./read-body";
export { activeReleases, findRelease, isApproved } from "./releases";
export {
  type BuildProvenance,
  BuildSchema,
  MANIFEST_SCHEMA,
  MAX_RELEASES,
  type Manifest,
  ManifestSchema,
  RELEASE_STATUSES,
  type Release,
  ReleaseSchema,
  type ReleaseStatus,
} from "./schema";
export { cosignManifest, signManifest } from "./sign";
export { type ManifestSigner, verifyThreshold } from "./threshold";
export {
  checkRecordedManifest,
  type DecodedManifest,
  decodeManifest,
  type ManifestHistory,
  type VerifyManifestOptions,
  verifyManifest,
  verifyManifestChain,
  verifyManifestUpdate,
} from "./verify";

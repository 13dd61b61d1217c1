/** PCR manifests: schema, signing, verification and release lookup (DESIGN.md §4). */
export { generateManifestKeyPair, MANIFEST_ALG, type ManifestKeyPair } from "./keys";
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
export { signManifest } from "./sign";
export { MAX_MANIFEST_BYTES, type VerifyManifestOptions, verifyManifest } from "./verify";

/**
 * The simulated Nitro Secure Module (DEV ONLY): a generated dev root CA and documents
 * in exactly the AWS format. Lives in local/ so it can never reach a production bundle.
 */

export { createDevCa, type DevCa, loadOrCreateDevCa } from "./dev-ca";
export { DEV_MANIFEST_LIFETIME_MS, type DevManifestOptions, devManifest } from "./dev-manifest";
export {
  DEV_RELEASE_KEY_OWNERS,
  type DevReleaseKeys,
  devReleaseKeysOf,
  generateDevReleaseKeys,
  UNSIGNED_DEV_KEY_SET,
} from "./dev-release-keys";
export { EMPTY_BUNDLE_DIGEST, simulatedPcrs } from "./pcrs";
export { createSimulatedNsm, LEAF_LIFETIME_MS, type SimulatedNsm, type SimulatedNsmOptions } from "./simulated-nsm";

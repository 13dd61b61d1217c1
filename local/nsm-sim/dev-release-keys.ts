import type { JWK } from "jose";
import { generateManifestKeyPair, type ManifestKeyPair, type ReleaseKeySet, releaseKeySet } from "../../lib/manifest";

/** Owners of the dev release keys: two labels, so the dev key set has the production threshold of 2. */
export const DEV_RELEASE_KEY_OWNERS = ["dev:release-a", "dev:release-b"] as const;

/** DEV ONLY. Two release key pairs and the 2-of-2 key set they form. */
export interface DevReleaseKeys {
  pairs: ManifestKeyPair[];
  /** The public key set: what verifiers pin (`--manifest-key`, `VETTID_MANIFEST_KEY_FILE`). */
  set: ReleaseKeySet;
  /** The private keys that meet the threshold, for `signManifest`. */
  privateKeys: JWK[];
}

/** The 2-of-2 dev key set of two key pairs (in {@link DEV_RELEASE_KEY_OWNERS} order). */
export function devReleaseKeysOf(pairs: ManifestKeyPair[]): DevReleaseKeys {
  const set = releaseKeySet(
    2,
    pairs.map((p, i) => ({ owner: DEV_RELEASE_KEY_OWNERS[i] ?? `dev:release-${i}`, jwk: p.publicKey })),
  );
  return { pairs, set, privateKeys: pairs.map((p) => p.privateKey) };
}

/** DEV ONLY. Generates two fresh release key pairs and their 2-of-2 key set. */
export async function generateDevReleaseKeys(): Promise<DevReleaseKeys> {
  return devReleaseKeysOf([await generateManifestKeyPair(), await generateManifestKeyPair()]);
}

/**
 * A key set nobody holds a private key of (DEV ONLY): for manifests that are handed to
 * code as objects and never signed or verified.
 */
export const UNSIGNED_DEV_KEY_SET: ReleaseKeySet = {
  threshold: 2,
  keys: DEV_RELEASE_KEY_OWNERS.map((owner, i) => ({
    owner,
    jwk: { kty: "EC", crv: "P-256", x: String(i).repeat(43), y: String(i).repeat(43), kid: `unsigned-${i}` },
  })),
};

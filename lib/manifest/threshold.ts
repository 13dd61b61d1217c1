import { flattenedVerify, importJWK } from "jose";
import { VettidError } from "../errors";
import { MANIFEST_ALG } from "./constants";
import type { ManifestEnvelope } from "./jws";
import type { ReleaseKey, ReleaseKeySet } from "./key-set";

/** A key of the set whose signature verified. */
export interface ManifestSigner {
  kid: string;
  owner: string;
}

/**
 * Checks that `envelope` carries valid signatures of at least `set.threshold` keys of
 * `set` held by that many distinct owners. Signatures by keys outside the set are
 * ignored (a rotation manifest is signed by the old and the new set); a signature by a
 * key of the set that does not verify refuses the manifest, since nobody honest
 * publishes one.
 *
 * @param what names the set in error messages (`the trusted key set`, `the new key set`).
 * @returns the signers of `set` whose signatures verified.
 * @throws VettidError MANIFEST_INVALID for a bad signature, MANIFEST_THRESHOLD when too few distinct owners signed.
 */
export async function verifyThreshold(
  envelope: ManifestEnvelope,
  set: ReleaseKeySet,
  what: string,
): Promise<ManifestSigner[]> {
  const byKid = new Map<string, ReleaseKey>(set.keys.map((k) => [k.jwk.kid, k]));
  const signers = new Map<string, ManifestSigner>();
  for (const s of envelope.signatures) {
    const key = byKid.get(s.kid);
    if (key === undefined || signers.has(s.kid)) continue;
    try {
      const imported = await importJWK({ ...key.jwk, alg: MANIFEST_ALG }, MANIFEST_ALG);
      await flattenedVerify({ protected: s.protected, payload: envelope.payload, signature: s.signature }, imported, {
        algorithms: [MANIFEST_ALG],
      });
    } catch (err) {
      throw new VettidError("MANIFEST_INVALID", `the signature of key ${s.kid} does not verify`, { cause: err });
    }
    signers.set(s.kid, { kid: s.kid, owner: key.owner });
  }
  const owners = new Set([...signers.values()].map((s) => s.owner));
  if (owners.size < set.threshold) {
    throw new VettidError(
      "MANIFEST_THRESHOLD",
      `manifest is signed by ${owners.size} distinct owner(s) of ${what}; ${set.threshold} are required`,
    );
  }
  return [...signers.values()];
}

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import { MANIFEST_ALG } from "./constants";

/** A manifest key pair as JWKs (the form in which keys are exchanged as files). */
export interface ManifestKeyPair {
  /** Private JWK (keep secret; in production the key lives in KMS instead). */
  privateKey: JWK;
  /** Public JWK, listed in a release key set. */
  publicKey: JWK;
  /** RFC 7638 thumbprint of the public key, used as `kid`. */
  kid: string;
}

/** Generates an ES256 (P-256) manifest signing key pair with `kid` = its JWK thumbprint. */
export async function generateManifestKeyPair(): Promise<ManifestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(MANIFEST_ALG, { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const priv = await exportJWK(privateKey);
  return {
    privateKey: { ...priv, kid, alg: MANIFEST_ALG, use: "sig" },
    publicKey: { ...pub, kid, alg: MANIFEST_ALG, use: "sig" },
    kid,
  };
}

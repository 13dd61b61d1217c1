import { calculateJwkThumbprint, FlattenedSign, importJWK, type JWK } from "jose";
import { VettidError } from "../errors";
import { MANIFEST_ALG } from "./keys";
import { type Manifest, ManifestSchema } from "./schema";

/**
 * Validates `manifest` and signs it as a flattened JWS JSON serialization
 * `{"protected","payload","signature"}` with ES256 and `kid` in the protected header.
 *
 * @param privateKey the private JWK (its `kid`, or its thumbprint, becomes the header `kid`).
 * @returns the JWS as JSON text, ready to publish.
 * @throws VettidError MANIFEST_INVALID when the manifest does not match the schema.
 */
export async function signManifest(manifest: Manifest, privateKey: JWK): Promise<string> {
  const parsed = ManifestSchema.safeParse(manifest);
  if (!parsed.success) {
    throw new VettidError(
      "MANIFEST_INVALID",
      `manifest does not match the schema: ${parsed.error.issues[0]?.message}`,
      {
        details: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
      },
    );
  }
  if (privateKey.kty !== "EC" || privateKey.crv !== "P-256" || typeof privateKey.d !== "string") {
    throw new VettidError("MANIFEST_INVALID", "the manifest signing key must be a private P-256 JWK (ES256)");
  }
  const { d: _d, ...publicPart } = privateKey;
  const kid = privateKey.kid ?? (await calculateJwkThumbprint(publicPart));
  const key = await importJWK({ ...privateKey, alg: MANIFEST_ALG }, MANIFEST_ALG);
  const payload = new TextEncoder().encode(JSON.stringify(parsed.data));
  const jws = await new FlattenedSign(payload).setProtectedHeader({ alg: MANIFEST_ALG, kid }).sign(key);
  return `${JSON.stringify({ protected: jws.protected, payload: jws.payload, signature: jws.signature }, null, 2)}\n`;
}

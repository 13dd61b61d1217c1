import { calculateJwkThumbprint, FlattenedSign, importJWK, type JWK } from "jose";
import { VettidError } from "../errors";
import { MANIFEST_ALG } from "./constants";
import { formatManifestEnvelope, parseManifestEnvelope } from "./jws";
import { type Manifest, ManifestSchema } from "./schema";

async function signPayload(payload: Uint8Array, privateKey: JWK): Promise<{ protected: string; signature: string }> {
  if (privateKey.kty !== "EC" || privateKey.crv !== "P-256" || typeof privateKey.d !== "string") {
    throw new VettidError("MANIFEST_INVALID", "a manifest signing key must be a private P-256 JWK (ES256)");
  }
  const { d: _d, ...publicPart } = privateKey;
  const kid = privateKey.kid ?? (await calculateJwkThumbprint(publicPart));
  const key = await importJWK({ ...privateKey, alg: MANIFEST_ALG }, MANIFEST_ALG);
  const jws = await new FlattenedSign(payload).setProtectedHeader({ alg: MANIFEST_ALG, kid }).sign(key);
  return { protected: jws.protected ?? "", signature: jws.signature };
}

/**
 * Validates `manifest` and signs it as a general JWS JSON serialization
 * `{"payload", "signatures": [{"protected", "signature"}, …]}`, one ES256 signature
 * per key with its `kid` in the protected header. Owners who hold their keys apart
 * sign one at a time: sign with one key here, then {@link cosignManifest}.
 *
 * @param privateKeys private JWKs (each one's `kid`, or its thumbprint, becomes its header `kid`).
 * @returns the JWS as JSON text, ready to publish.
 * @throws VettidError MANIFEST_INVALID when the manifest does not match the schema.
 */
export async function signManifest(manifest: Manifest, privateKeys: JWK | JWK[]): Promise<string> {
  const parsed = ManifestSchema.safeParse(manifest);
  if (!parsed.success) {
    throw new VettidError(
      "MANIFEST_INVALID",
      `manifest does not match the schema: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`,
      { details: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) } },
    );
  }
  const keys = Array.isArray(privateKeys) ? privateKeys : [privateKeys];
  if (keys.length === 0) throw new VettidError("MANIFEST_INVALID", "at least one signing key is required");
  const payload = new TextEncoder().encode(JSON.stringify(parsed.data));
  const signatures = [];
  for (const key of keys) signatures.push(await signPayload(payload, key));
  return formatManifestEnvelope(Buffer.from(payload).toString("base64url"), signatures);
}

/**
 * Adds one signature to a signed manifest (the payload is signed as it stands, byte for
 * byte). A key that already signed is refused, so one key never counts twice.
 * @throws VettidError MANIFEST_INVALID when `text` is not a manifest or the key already signed.
 */
export async function cosignManifest(text: string, privateKey: JWK): Promise<string> {
  const envelope = parseManifestEnvelope(text);
  const added = await signPayload(envelope.payloadBytes, privateKey);
  const kid = JSON.parse(Buffer.from(added.protected, "base64url").toString("utf8")).kid as string;
  if (envelope.signatures.some((s) => s.kid === kid)) {
    throw new VettidError("MANIFEST_INVALID", `key ${kid} already signed this manifest`);
  }
  return formatManifestEnvelope(envelope.payload, [...envelope.signatures, added]);
}

/**
 * The release key set and the threshold signatures of a PCR manifest, checked with
 * node:crypto (stacks may not import lib/; lib/manifest checks the same rules with
 * jose for devices and hosts: decision 0067).
 */
import { createHash, createPublicKey, type JsonWebKey, verify } from "node:crypto";

/** A release key set: `threshold` signatures of keys of that many distinct owners must sign. */
export interface ReleaseKeySetJson {
  threshold: number;
  keys: { owner: string; jwk: JsonWebKey }[];
}

/** The fewest signatures a release key set may require (lib/manifest MIN_RELEASE_THRESHOLD). */
export const MIN_RELEASE_THRESHOLD = 2;

/** A published manifest taken apart: payload (base64url and bytes) and signatures. */
export interface ManifestEnvelope {
  payload: string;
  payloadBytes: Buffer;
  signatures: { protected: string; signature: string; kid: string }[];
}

export function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`manifest: ${where} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function asString(value: unknown, where: string): string {
  if (typeof value !== "string" || value.length === 0) throw new Error(`manifest: ${where} must be a non-empty string`);
  return value;
}

/** Parses the general JWS JSON envelope `{payload, signatures: [{protected, signature}]}`; ES256 headers only. */
export function parseEnvelope(text: string): ManifestEnvelope {
  const jws = asRecord(JSON.parse(text), "manifest");
  if (Object.keys(jws).sort().join(",") !== "payload,signatures") {
    throw new Error("manifest: must be a general JWS JSON object {payload, signatures}");
  }
  const payload = asString(jws.payload, "manifest.payload");
  if (!Array.isArray(jws.signatures) || jws.signatures.length === 0) {
    throw new Error("manifest: signatures must be a non-empty array");
  }
  const signatures = jws.signatures.map((raw, i) => {
    const entry = asRecord(raw, `signatures[${i}]`);
    const prot = asString(entry.protected, `signatures[${i}].protected`);
    const header = asRecord(JSON.parse(Buffer.from(prot, "base64url").toString("utf8")), `signatures[${i}] header`);
    if (header.alg !== "ES256") throw new Error(`manifest: alg must be ES256, got ${String(header.alg)}`);
    return {
      protected: prot,
      signature: asString(entry.signature, `signatures[${i}].signature`),
      kid: asString(header.kid, `signatures[${i}] kid`),
    };
  });
  return { payload, payloadBytes: Buffer.from(payload, "base64url"), signatures };
}

/** SHA-384 (hex) of the payload bytes: what the next manifest's `previous` names. */
export function payloadDigest(envelope: ManifestEnvelope): string {
  return createHash("sha384").update(envelope.payloadBytes).digest("hex");
}

/**
 * Parses a key set (threshold, owners, public P-256 keys with unique kids and material).
 * @throws Error with a one-line reason.
 */
export function parseKeySet(value: unknown, where: string): ReleaseKeySetJson {
  const set = asRecord(value, where);
  const threshold = set.threshold;
  if (typeof threshold !== "number" || !Number.isSafeInteger(threshold) || threshold < MIN_RELEASE_THRESHOLD) {
    throw new Error(`manifest: ${where}.threshold must be an integer of at least ${MIN_RELEASE_THRESHOLD}`);
  }
  if (!Array.isArray(set.keys) || set.keys.length === 0) throw new Error(`manifest: ${where}.keys must be a list`);
  const keys = set.keys.map((raw, i) => {
    const key = asRecord(raw, `${where}.keys[${i}]`);
    const jwk = asRecord(key.jwk, `${where}.keys[${i}].jwk`) as JsonWebKey;
    if (jwk.d !== undefined) throw new Error("manifest key: a private key was given; use the public JWK");
    if (jwk.kty !== "EC" || jwk.crv !== "P-256") throw new Error(`manifest: ${where}.keys[${i}] must be a P-256 key`);
    asString(jwk.kid, `${where}.keys[${i}].jwk.kid`);
    return { owner: asString(key.owner, `${where}.keys[${i}].owner`), jwk };
  });
  if (new Set(keys.map((k) => k.jwk.kid)).size !== keys.length) throw new Error(`manifest: ${where} key ids repeat`);
  if (new Set(keys.map((k) => `${k.jwk.x}.${k.jwk.y}`)).size !== keys.length) {
    throw new Error(`manifest: ${where} lists a key twice`);
  }
  return { threshold, keys };
}

/** True when two key sets have the same threshold, keys and owners (order aside). */
export function sameKeySet(a: ReleaseKeySetJson, b: ReleaseKeySetJson): boolean {
  const canon = (s: ReleaseKeySetJson) =>
    JSON.stringify([s.threshold, s.keys.map((k) => [k.jwk.kid, k.owner, k.jwk.x, k.jwk.y].join(" ")).sort()]);
  return canon(a) === canon(b);
}

/**
 * Checks signatures of at least `set.threshold` keys of `set`, of that many distinct
 * owners. Signatures by keys outside the set are ignored; a bad signature by a key of
 * the set refuses the manifest.
 * @throws Error with a one-line reason.
 */
export function checkThreshold(envelope: ManifestEnvelope, set: ReleaseKeySetJson, what: string): void {
  const owners = new Set<string>();
  const seen = new Set<string>();
  for (const s of envelope.signatures) {
    const key = set.keys.find((k) => k.jwk.kid === s.kid);
    if (key === undefined || seen.has(s.kid)) continue;
    seen.add(s.kid);
    const input = Buffer.from(`${s.protected}.${envelope.payload}`, "ascii");
    const publicKey = createPublicKey({ key: key.jwk, format: "jwk" });
    if (
      !verify("sha256", input, { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(s.signature, "base64url"))
    ) {
      throw new Error(`manifest: the signature of key ${s.kid} does not verify`);
    }
    owners.add(key.owner);
  }
  if (owners.size < set.threshold) {
    throw new Error(
      `manifest: signed by ${owners.size} distinct owner(s) of ${what}; ${set.threshold} are required (decision 0067)`,
    );
  }
}

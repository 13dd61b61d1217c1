/**
 * Reads the PCR manifest the stacks publish (release stack) and turn into key policy
 * conditions (keys stack). The manifest is a flattened JWS JSON serialization
 * (`{protected, payload, signature}`, ES256) of the payload described in
 * docs/protocol.md; stacks may not import lib/, so this file verifies and decodes it
 * with node:crypto alone and checks only the fields the stacks use.
 */
import { createPublicKey, type JsonWebKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

/** A release as the stacks need it. */
export interface ManifestRelease {
  id: string;
  pcr0: string;
  status: "active" | "deprecated" | "retired";
  validFrom: string;
  validUntil: string | null;
  /** SHA-384 (hex) of the enclave image file, when the release record has it. */
  eifSha384: string | null;
}

/** The manifest: its exact published text plus the decoded fields the stacks use. */
export interface StackManifest {
  /** The flattened JWS JSON text, published byte for byte. */
  text: string;
  serial: number;
  issuedAt: string;
  releases: ManifestRelease[];
  /**
   * The release public key the signature verified with, public members only: the vault
   * hosts verify every manifest they fetch with this same key.
   */
  publicKey: JsonWebKey;
}

/** PCR values are SHA-384 digests: 48 bytes = 96 lowercase hex digits. */
const PCR_HEX = /^[0-9a-f]{96}$/;
const STATUSES = ["active", "deprecated", "retired"] as const;

/**
 * Parses and verifies a manifest.
 * @param text flattened JWS JSON text
 * @param publicJwk the ES256 public key (JWK) the signature must verify against
 * @throws Error with a one-line reason when the JWS, its signature or the payload is wrong.
 */
export function parseManifest(text: string, publicJwk: JsonWebKey): StackManifest {
  const jws = asRecord(JSON.parse(text), "manifest");
  const protectedB64 = asString(jws.protected, "manifest.protected");
  const payloadB64 = asString(jws.payload, "manifest.payload");
  const signature = Buffer.from(asString(jws.signature, "manifest.signature"), "base64url");
  const header = asRecord(JSON.parse(Buffer.from(protectedB64, "base64url").toString("utf8")), "protected header");
  if (header.alg !== "ES256") throw new Error(`manifest: alg must be ES256, got ${String(header.alg)}`);
  if (publicJwk.d !== undefined) throw new Error("manifest key: a private key was given; use the public JWK");
  const key = createPublicKey({ key: publicJwk, format: "jwk" });
  const signingInput = Buffer.from(`${protectedB64}.${payloadB64}`, "ascii");
  if (!verify("sha256", signingInput, { key, dsaEncoding: "ieee-p1363" }, signature)) {
    throw new Error("manifest: signature does not verify with the configured manifest key");
  }
  const payload = asRecord(JSON.parse(Buffer.from(payloadB64, "base64url").toString("utf8")), "payload");
  if (payload.schema !== "vettid.pcr-manifest/v1") throw new Error("manifest: schema must be vettid.pcr-manifest/v1");
  const serial = payload.serial;
  if (typeof serial !== "number" || !Number.isSafeInteger(serial) || serial < 1) {
    throw new Error("manifest: serial must be a positive integer");
  }
  if (!Array.isArray(payload.releases)) throw new Error("manifest: releases must be an array");
  const releases = payload.releases.map((raw, i) => parseRelease(raw, `releases[${i}]`));
  return {
    text,
    serial,
    issuedAt: asString(payload.issued_at, "issued_at"),
    releases,
    publicKey: publicMembers(publicJwk),
  };
}

/** The key's public members (kty, crv, x, y) plus its kid / alg / use labels when present. */
function publicMembers(jwk: JsonWebKey): JsonWebKey {
  const labels = Object.fromEntries(
    (["kid", "alg", "use"] as const).flatMap((name) => (typeof jwk[name] === "string" ? [[name, jwk[name]]] : [])),
  );
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ...labels };
}

/** Reads and verifies the manifest file with the public JWK file. */
export function readManifest(manifestPath: string, publicKeyPath: string): StackManifest {
  const jwk = JSON.parse(readFileSync(publicKeyPath, "utf8")) as JsonWebKey;
  return parseManifest(readFileSync(manifestPath, "utf8"), jwk);
}

/**
 * Releases the key policy admits, as lib/manifest approves them: status `active` or
 * `deprecated` (still approved while being replaced), never `retired`, and not already
 * expired when the manifest was issued. Judged at `issued_at`, not at synth time, so one
 * manifest always yields the same policy; each release's validity window becomes an
 * `aws:CurrentTime` condition of its own statement, so KMS enforces it over time.
 */
export function activeReleases(manifest: StackManifest): ManifestRelease[] {
  const issued = Date.parse(manifest.issuedAt);
  return manifest.releases.filter(
    (r) => r.status !== "retired" && (r.validUntil === null || Date.parse(r.validUntil) > issued),
  );
}

/** The newest release with status `active` valid at `issued_at`: the one the vault fleet runs. */
export function currentRelease(manifest: StackManifest): ManifestRelease {
  const issued = Date.parse(manifest.issuedAt);
  const active = activeReleases(manifest)
    .filter((r) => r.status === "active" && Date.parse(r.validFrom) <= issued)
    .sort((a, b) => Date.parse(b.validFrom) - Date.parse(a.validFrom));
  const newest = active[0];
  if (newest === undefined) throw new Error(`manifest serial ${manifest.serial} has no active release`);
  return newest;
}

function parseRelease(raw: unknown, where: string): ManifestRelease {
  const r = asRecord(raw, where);
  const pcr0 = asString(r.pcr0, `${where}.pcr0`);
  if (!PCR_HEX.test(pcr0)) throw new Error(`manifest: ${where}.pcr0 must be 96 lowercase hex digits`);
  const status = r.status;
  if (!STATUSES.includes(status as ManifestRelease["status"])) {
    throw new Error(`manifest: ${where}.status must be one of ${STATUSES.join(", ")}`);
  }
  const validFrom = asString(r.valid_from, `${where}.valid_from`);
  const validUntil = r.valid_until === null ? null : asString(r.valid_until, `${where}.valid_until`);
  for (const [name, value] of [
    ["valid_from", validFrom],
    ["valid_until", validUntil],
  ] as const) {
    if (value !== null && Number.isNaN(Date.parse(value))) throw new Error(`manifest: ${where}.${name} is not a date`);
  }
  const build = r.build === undefined ? {} : asRecord(r.build, `${where}.build`);
  const eif = build.eif_sha384;
  if (eif !== undefined && (typeof eif !== "string" || !PCR_HEX.test(eif))) {
    throw new Error(`manifest: ${where}.build.eif_sha384 must be 96 lowercase hex digits`);
  }
  return {
    id: asString(r.id, `${where}.id`),
    pcr0,
    status: status as ManifestRelease["status"],
    validFrom,
    validUntil,
    eifSha384: eif ?? null,
  };
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`manifest: ${where} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function asString(value: unknown, where: string): string {
  if (typeof value !== "string" || value.length === 0) throw new Error(`manifest: ${where} must be a non-empty string`);
  return value;
}

import { decodeProtectedHeader, flattenedVerify, importJWK, type JWK } from "jose";
import { VettidError } from "../errors";
import { MANIFEST_ALG } from "./keys";
import { type Manifest, ManifestSchema } from "./schema";

/** Largest manifest text accepted: 256 releases of about 700 bytes each, base64url-encoded, rounded up. */
export const MAX_MANIFEST_BYTES = 512 * 1024;
/** A manifest issued further in the future than this (clock skew) is refused. */
export const MAX_ISSUED_AT_SKEW_MS = 5 * 60 * 1000;

/** Options of {@link verifyManifest}. */
export interface VerifyManifestOptions {
  /** The pinned release public key (JWK object or JWK JSON text). Required. */
  publicKey: JWK | string;
  /** The highest serial already seen; an older manifest is refused (MANIFEST_ROLLBACK). */
  minSerial?: number;
  /** Verification time (default now); a manifest issued after it (beyond skew) is refused. */
  now?: Date;
}

function invalid(message: string, cause?: unknown): never {
  throw new VettidError("MANIFEST_INVALID", message, { cause });
}

/**
 * Verifies a published manifest (flattened JWS JSON): signature with the pinned key
 * (ES256 only), schema (unknown fields refused), and serial ≥ `minSerial`.
 *
 * @example
 * const manifest = await verifyManifest(text, { publicKey: pinnedJwk, minSerial: lastSeen });
 * @throws VettidError MANIFEST_INVALID or MANIFEST_ROLLBACK.
 */
export async function verifyManifest(text: string, options: VerifyManifestOptions): Promise<Manifest> {
  if (text.length > MAX_MANIFEST_BYTES) invalid(`manifest exceeds ${MAX_MANIFEST_BYTES} bytes`);
  let jws: unknown;
  try {
    jws = JSON.parse(text);
  } catch (err) {
    invalid("manifest is not JSON", err);
  }
  if (typeof jws !== "object" || jws === null || Array.isArray(jws)) invalid("manifest is not a JWS JSON object");
  const keys = Object.keys(jws).sort();
  if (keys.join(",") !== "payload,protected,signature") {
    invalid("manifest must be a flattened JWS with exactly protected, payload and signature");
  }
  const { protected: prot, payload, signature } = jws as Record<string, unknown>;
  if (typeof prot !== "string" || typeof payload !== "string" || typeof signature !== "string") {
    invalid("manifest JWS members must be strings");
  }

  let pinned: JWK;
  try {
    pinned = typeof options.publicKey === "string" ? (JSON.parse(options.publicKey) as JWK) : options.publicKey;
  } catch (err) {
    invalid("the manifest public key is not a JWK", err);
  }
  if (pinned.kty !== "EC" || pinned.crv !== "P-256" || "d" in pinned) {
    invalid("the manifest public key must be a public P-256 JWK");
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader({ protected: prot, payload, signature });
  } catch (err) {
    invalid("manifest protected header is malformed", err);
  }
  if (header.alg !== MANIFEST_ALG) invalid(`manifest must be signed with ${MANIFEST_ALG}, found ${String(header.alg)}`);
  if (pinned.kid !== undefined && header.kid !== pinned.kid) {
    invalid(`manifest was signed by key ${String(header.kid)}, not the pinned key ${pinned.kid}`);
  }

  let body: Uint8Array;
  try {
    const key = await importJWK({ ...pinned, alg: MANIFEST_ALG }, MANIFEST_ALG);
    ({ payload: body } = await flattenedVerify({ protected: prot, payload, signature }, key, {
      algorithms: [MANIFEST_ALG],
    }));
  } catch (err) {
    invalid("manifest signature does not verify with the pinned key", err);
  }

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    invalid("manifest payload is not JSON", err);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new VettidError(
      "MANIFEST_INVALID",
      `manifest payload: ${first?.path.join(".") || "(root)"} ${first?.message}`,
      {
        details: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
      },
    );
  }
  const manifest = parsed.data;
  if (options.minSerial !== undefined && manifest.serial < options.minSerial) {
    throw new VettidError(
      "MANIFEST_ROLLBACK",
      `manifest serial ${manifest.serial} is older than serial ${options.minSerial} already seen`,
    );
  }
  const now = (options.now ?? new Date()).getTime();
  if (Date.parse(manifest.issued_at) > now + MAX_ISSUED_AT_SKEW_MS) {
    invalid(`manifest issued_at ${manifest.issued_at} is in the future`);
  }
  return manifest;
}

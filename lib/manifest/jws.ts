import { createHash } from "node:crypto";
import { base64url, decodeProtectedHeader } from "jose";
import { VettidError } from "../errors";
import { MANIFEST_ALG, MAX_MANIFEST_BYTES, MAX_MANIFEST_SIGNATURES } from "./constants";

/** One signature of a manifest: its protected header (`alg`, `kid`) and the signature, base64url. */
export interface ManifestSignature {
  protected: string;
  signature: string;
  /** The signing key's id, from the protected header. */
  kid: string;
}

/** A published manifest taken apart: the payload (base64url and its bytes) and every signature. */
export interface ManifestEnvelope {
  payload: string;
  payloadBytes: Uint8Array;
  signatures: ManifestSignature[];
}

function invalid(message: string, cause?: unknown): never {
  throw new VettidError("MANIFEST_INVALID", message, { cause });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Parses a published manifest: a JWS in the general JSON serialization (RFC 7515 §7.2.1)
 * `{"payload", "signatures": [{"protected", "signature"}, …]}` with exactly those
 * members, 1 to {@link MAX_MANIFEST_SIGNATURES} signatures, each with a protected
 * header of exactly `{alg: "ES256", kid}` and no unprotected header. Signatures are
 * not checked here.
 * @throws VettidError MANIFEST_INVALID on any deviation.
 */
export function parseManifestEnvelope(text: string): ManifestEnvelope {
  if (text.length > MAX_MANIFEST_BYTES) invalid(`manifest exceeds ${MAX_MANIFEST_BYTES} bytes`);
  let jws: unknown;
  try {
    jws = JSON.parse(text);
  } catch (err) {
    invalid("manifest is not JSON", err);
  }
  if (!isRecord(jws)) invalid("manifest is not a JWS JSON object");
  if (Object.keys(jws).sort().join(",") !== "payload,signatures") {
    invalid("manifest must be a general JWS JSON object with exactly payload and signatures");
  }
  const { payload, signatures } = jws;
  if (typeof payload !== "string" || !B64URL.test(payload)) invalid("manifest payload must be base64url");
  if (!Array.isArray(signatures) || signatures.length < 1 || signatures.length > MAX_MANIFEST_SIGNATURES) {
    invalid(`manifest must carry 1 to ${MAX_MANIFEST_SIGNATURES} signatures`);
  }
  const parsed = signatures.map((entry, i): ManifestSignature => {
    if (!isRecord(entry) || Object.keys(entry).sort().join(",") !== "protected,signature") {
      invalid(`manifest signature ${i} must have exactly protected and signature`);
    }
    const { protected: prot, signature } = entry;
    if (typeof prot !== "string" || typeof signature !== "string" || !B64URL.test(prot) || !B64URL.test(signature)) {
      invalid(`manifest signature ${i} members must be base64url strings`);
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader({ protected: prot, payload, signature });
    } catch (err) {
      invalid(`manifest signature ${i} has a malformed protected header`, err);
    }
    if (Object.keys(header).sort().join(",") !== "alg,kid" || header.alg !== MANIFEST_ALG) {
      invalid(`manifest signature ${i} header must be exactly {alg: ${MANIFEST_ALG}, kid}`);
    }
    if (typeof header.kid !== "string" || header.kid.length === 0) invalid(`manifest signature ${i} has no kid`);
    return { protected: prot, signature, kid: header.kid };
  });
  let payloadBytes: Uint8Array;
  try {
    payloadBytes = base64url.decode(payload);
  } catch (err) {
    invalid("manifest payload is not base64url", err);
  }
  return { payload, payloadBytes, signatures: parsed };
}

/** The manifest's canonical bytes' digest: SHA-384 (hex) of its payload bytes, as the next manifest's `previous` names it. */
export function payloadDigest(payloadBytes: Uint8Array): string {
  return createHash("sha384").update(payloadBytes).digest("hex");
}

/**
 * The digest by which the next manifest names this one (`previous`): SHA-384 of the
 * signed payload bytes, so adding or reordering signatures does not change it.
 * @throws VettidError MANIFEST_INVALID when `text` is not a manifest envelope.
 */
export function manifestDigest(text: string): string {
  return payloadDigest(parseManifestEnvelope(text).payloadBytes);
}

/** Serializes a manifest envelope as published (two-space indented JSON, trailing newline). */
export function formatManifestEnvelope(
  payload: string,
  signatures: { protected: string; signature: string }[],
): string {
  const entries = signatures.map((s) => ({ protected: s.protected, signature: s.signature }));
  return `${JSON.stringify({ payload, signatures: entries }, null, 2)}\n`;
}

import { randomBytes } from "../crypto/random";
import { sodium } from "../crypto/sodium";
import { VettidError } from "../errors";
import { AD_PREFIX, DIGEST_BYTES, KEY_BYTES, MAX_ID_BYTES, NONCE_BYTES } from "./constants";
import { encodeHeader, parseEnvelopeHeader } from "./header";
import { padInner, unpadInner } from "./padding";
import type { Direction, EnvelopeContext, OpenedEnvelope, RequestRef } from "./types";

const textEncoder = new TextEncoder();

interface SealCommon {
  key: Uint8Array;
  context: EnvelopeContext;
  counter: number;
  op: string;
  plaintext: Uint8Array;
  /** Only for test vectors: a fixed nonce. Production callers leave it out (random). */
  nonce?: Uint8Array;
}

/**
 * Parameters of {@link sealEnvelope}: a request (device-to-enclave), or an answer
 * (enclave-to-device) bound to the request it answers.
 */
export type SealParams =
  | (SealCommon & { direction: "device-to-enclave"; request?: undefined })
  | (SealCommon & { direction: "enclave-to-device"; request: RequestRef });

/** Parameters of {@link openEnvelope}. */
export interface OpenParams {
  key: Uint8Array;
  context: EnvelopeContext;
  /** The direction the receiver expects; anything else is rejected before decryption. */
  direction: Direction;
  envelope: Uint8Array;
  /** For answers: the request the receiver expects this envelope to answer. */
  request?: RequestRef;
}

/**
 * Seals `plaintext` under op `op` with XChaCha20-Poly1305-IETF. The op and the body
 * travel inside the ciphertext, padded to a size bucket; the associated data binds
 * the vault, device and session ids, the clear header and, for an answer, the digest
 * of the request envelope it answers, so an envelope opens only in exactly the place
 * it was made for.
 *
 * Layout: `version(1)=2 | direction(1) | counter(u64 BE) [| requestCounter(u64 BE)] | nonce(24) | ciphertext+tag`.
 *
 * @example
 * const request = sealEnvelope({ key, context, direction: "device-to-enclave", counter: 0, op: "items.get", plaintext });
 * const answer = sealEnvelope({
 *   key: otherKey, context, direction: "enclave-to-device", counter: 0, op: "items.get", plaintext: value,
 *   request: { counter: 0, digest: envelopeDigest(request) },
 * });
 */
export function sealEnvelope(params: SealParams): Uint8Array {
  const { key, context, direction, counter, op, plaintext, request } = params;
  checkKey(key);
  if (direction === "enclave-to-device") checkRequestRef(request);
  const inner = padInner(op, plaintext);
  const header = encodeHeader(direction, counter, request?.counter);
  const s = sodium();
  const nonce = params.nonce ?? randomBytes(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new VettidError("ENVELOPE_MALFORMED", "nonce must be 24 bytes");
  const ad = associatedData(context, header, request?.digest);
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(inner, ad, null, nonce, key);
  const out = new Uint8Array(header.length + NONCE_BYTES + ciphertext.length);
  out.set(header, 0);
  out.set(nonce, header.length);
  out.set(ciphertext, header.length + NONCE_BYTES);
  return out;
}

/**
 * Authenticates, decrypts and unpads an envelope. An answer opens only with the
 * request it answers (`request`): its header must name that request's counter and
 * its associated data must carry that request's digest. It does not check replays
 * or which requests are pending: {@link SealedChannel} does both.
 *
 * @throws VettidError `ENVELOPE_MALFORMED`, `ENVELOPE_WRONG_DIRECTION`, `ENVELOPE_WRONG_REQUEST`
 *   or `ENVELOPE_AUTH_FAILED`; `ENVELOPE_MALFORMED` also after authentication when the
 *   padding is not canonical.
 */
export function openEnvelope(params: OpenParams): OpenedEnvelope {
  const { key, context, envelope, request } = params;
  checkKey(key);
  const header = parseEnvelopeHeader(envelope);
  if (header.direction !== params.direction) {
    throw new VettidError("ENVELOPE_WRONG_DIRECTION", `expected ${params.direction}, got ${header.direction}`);
  }
  if (header.direction === "enclave-to-device") {
    checkRequestRef(request);
    if (header.requestCounter !== request.counter) {
      throw new VettidError("ENVELOPE_WRONG_REQUEST", "the envelope answers another request");
    }
  }
  const headerBytes = envelope.subarray(0, header.headerLength);
  const nonce = envelope.subarray(header.headerLength, header.headerLength + NONCE_BYTES);
  const ciphertext = envelope.subarray(header.headerLength + NONCE_BYTES);
  const ad = associatedData(
    context,
    headerBytes,
    header.direction === "enclave-to-device" ? request?.digest : undefined,
  );
  let inner: Uint8Array;
  try {
    inner = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
  } catch {
    throw new VettidError("ENVELOPE_AUTH_FAILED", "envelope failed authentication");
  }
  const { op, body } = unpadInner(inner);
  const opened: OpenedEnvelope = { direction: header.direction, counter: header.counter, op, plaintext: body };
  if (header.requestCounter !== undefined) opened.requestCounter = header.requestCounter;
  return opened;
}

/**
 * The digest that binds an answer to a request: BLAKE2b-256 (`crypto_generichash`,
 * unkeyed) of the exact request envelope bytes as sent.
 */
export function envelopeDigest(envelope: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(DIGEST_BYTES, envelope, null);
}

/**
 * `AD_PREFIX | lp(vaultId) | lp(deviceId) | lp(sessionId) | header [| requestDigest]`,
 * where `lp` is a 2-byte big-endian length followed by the UTF-8 bytes, and the
 * 32-byte request digest is present for answers only.
 */
export function associatedData(context: EnvelopeContext, header: Uint8Array, requestDigest?: Uint8Array): Uint8Array {
  const prefix = contextPrefix(context);
  const out = new Uint8Array(prefix.length + header.length + (requestDigest?.length ?? 0));
  out.set(prefix, 0);
  out.set(header, prefix.length);
  if (requestDigest !== undefined) out.set(requestDigest, prefix.length + header.length);
  return out;
}

/** `AD_PREFIX | lp(vaultId) | lp(deviceId) | lp(sessionId)` of frozen contexts (a session's), computed once. */
const prefixes = new WeakMap<EnvelopeContext, Uint8Array>();

function contextPrefix(context: EnvelopeContext): Uint8Array {
  const cached = prefixes.get(context);
  if (cached) return cached;
  const parts: Uint8Array[] = [textEncoder.encode(AD_PREFIX)];
  for (const id of [context.vaultId, context.deviceId, context.sessionId]) {
    const bytes = textEncoder.encode(id);
    if (bytes.length === 0 || bytes.length > MAX_ID_BYTES) {
      throw new VettidError("ENVELOPE_MALFORMED", "ids must be 1 to 128 bytes");
    }
    const lp = new Uint8Array(2 + bytes.length);
    lp[0] = bytes.length >> 8;
    lp[1] = bytes.length & 0xff;
    lp.set(bytes, 2);
    parts.push(lp);
  }
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  // Only a frozen context cannot change under the cache.
  if (Object.isFrozen(context)) prefixes.set(context, out);
  return out;
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new VettidError("ENVELOPE_MALFORMED", "key must be 32 bytes");
  }
}

function checkRequestRef(request: RequestRef | undefined): asserts request is RequestRef {
  if (
    request === undefined ||
    !Number.isSafeInteger(request.counter) ||
    request.counter < 0 ||
    !(request.digest instanceof Uint8Array) ||
    request.digest.length !== DIGEST_BYTES
  ) {
    throw new VettidError("VALIDATION_FAILED", "an answer needs the counter and 32-byte digest of its request");
  }
}

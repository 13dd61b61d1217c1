import { cborReasonSuffix, decodeCbor, isBytes, STRICT_CBOR, toSafeUint } from "./cbor";
import {
  DIGEST_SHA384,
  IMAGE_PCRS,
  MAX_CABUNDLE_LENGTH,
  MAX_CERTIFICATE_BYTES,
  MAX_MODULE_ID_LENGTH,
  MAX_OPTIONAL_FIELD_BYTES,
  MAX_PAYLOAD_KEYS,
  MAX_PCR_COUNT,
  MAX_PCR_INDEX,
  PCR_LENGTHS,
} from "./constants";
import { fail, REASONS } from "./errors";

/** The payload of an AWS Nitro attestation document, types checked, bytes copied. */
export interface AttestationPayload {
  moduleId: string;
  digest: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  pcrs: Record<number, Uint8Array>;
  certificate: Uint8Array;
  /** Root first, then each issuer down to the one that signed `certificate`. */
  cabundle: Uint8Array[];
  publicKey?: Uint8Array;
  userData?: Uint8Array;
  nonce?: Uint8Array;
}

function bad(message: string): never {
  fail("ATTESTATION_INVALID", REASONS.payload, message);
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * Parses and type-checks the attestation payload (aws-nitro-enclaves-nsm-api
 * `docs/attestation_process.md` §3.2), with the limits of `constants.ts`.
 *
 * @throws VettidError ATTESTATION_INVALID naming the offending field.
 */
export function parsePayload(bytes: Uint8Array): AttestationPayload {
  let map: unknown;
  try {
    map = decodeCbor(bytes, STRICT_CBOR.payload);
  } catch (err) {
    fail("ATTESTATION_INVALID", REASONS.payload, `payload is not strict CBOR${cborReasonSuffix(err)}`, err);
  }
  if (!(map instanceof Map)) bad("payload is not a map");
  if (map.size > MAX_PAYLOAD_KEYS) bad(`payload has ${map.size} keys, at most ${MAX_PAYLOAD_KEYS} expected`);
  for (const key of map.keys()) if (typeof key !== "string") bad("payload has a non-text key");

  const moduleId = map.get("module_id");
  if (typeof moduleId !== "string" || moduleId.length === 0 || moduleId.length > MAX_MODULE_ID_LENGTH) {
    bad("module_id must be a non-empty text string");
  }
  const digest = map.get("digest");
  if (digest !== DIGEST_SHA384) bad(`digest must be "${DIGEST_SHA384}"`);
  const timestamp = toSafeUint(map.get("timestamp"));
  if (timestamp === undefined || timestamp === 0) bad("timestamp must be a positive integer (ms)");

  const rawPcrs = map.get("pcrs");
  if (!(rawPcrs instanceof Map) || rawPcrs.size === 0 || rawPcrs.size > MAX_PCR_COUNT) {
    bad(`pcrs must be a map of 1 to ${MAX_PCR_COUNT} entries`);
  }
  const pcrs: Record<number, Uint8Array> = {};
  for (const [index, value] of rawPcrs) {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > MAX_PCR_INDEX) {
      bad(`pcr index ${String(index).slice(0, 16)} is outside [0, ${MAX_PCR_INDEX}]`);
    }
    if (!isBytes(value) || !PCR_LENGTHS.has(value.length)) bad(`pcr ${index} must be 32, 48 or 64 bytes`);
    pcrs[index] = copy(value);
  }
  for (const index of IMAGE_PCRS) {
    if (!pcrs[index]) bad(`pcr ${index} is missing`);
    if (pcrs[index].length !== 48) bad(`pcr ${index} must be 48 bytes (SHA-384)`);
  }

  const certificate = map.get("certificate");
  if (!isBytes(certificate) || certificate.length === 0 || certificate.length > MAX_CERTIFICATE_BYTES) {
    bad(`certificate must be 1 to ${MAX_CERTIFICATE_BYTES} bytes`);
  }
  const cabundle = map.get("cabundle");
  if (!Array.isArray(cabundle) || cabundle.length === 0 || cabundle.length > MAX_CABUNDLE_LENGTH) {
    bad(`cabundle must list 1 to ${MAX_CABUNDLE_LENGTH} certificates`);
  }
  for (const entry of cabundle) {
    if (!isBytes(entry) || entry.length === 0 || entry.length > MAX_CERTIFICATE_BYTES) {
      bad(`each cabundle entry must be 1 to ${MAX_CERTIFICATE_BYTES} bytes`);
    }
  }

  const payload: AttestationPayload = {
    moduleId,
    digest,
    timestamp,
    pcrs,
    certificate: copy(certificate),
    cabundle: (cabundle as Uint8Array[]).map(copy),
  };
  const publicKey = optionalBytes(map, "public_key", 1);
  const userData = optionalBytes(map, "user_data", 0);
  const nonce = optionalBytes(map, "nonce", 0);
  if (publicKey) payload.publicKey = publicKey;
  if (userData) payload.userData = userData;
  if (nonce) payload.nonce = nonce;
  return payload;
}

function optionalBytes(map: Map<unknown, unknown>, key: string, min: number): Uint8Array | undefined {
  const value = map.get(key);
  if (value === undefined || value === null) return undefined;
  if (!isBytes(value) || value.length < min || value.length > MAX_OPTIONAL_FIELD_BYTES) {
    bad(`${key} must be null or ${min} to ${MAX_OPTIONAL_FIELD_BYTES} bytes`);
  }
  return copy(value);
}

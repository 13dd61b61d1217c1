import { Decoder, Encoder } from "cbor-x";
import type { AttestationRequest } from "../../lib/attestation";
import { createStrictCborCheck, isCborError } from "../../lib/cbor";
import { VettidError } from "../../lib/errors";

/**
 * The NSM driver ABI (Linux include/uapi/linux/nsm.h and aws-nitro-enclaves-nsm-api
 * `src/driver`): one ioctl carrying a request and a response iovec.
 */
export const NSM = {
  /** `NSM_MAGIC`. */
  magic: 0x0a,
  /** `NSM_REQUEST_MAX_SIZE`: the driver refuses larger requests. */
  requestMaxSize: 0x1000,
  /** `NSM_RESPONSE_MAX_SIZE`: the response buffer we hand to the driver. */
  responseMaxSize: 0x3000,
  /** sizeof(struct nsm_raw) = 2 × struct nsm_iovec { u64 addr; u64 len } on 64-bit Linux. */
  messageSize: 32,
  /**
   * `NSM_IOCTL_RAW = _IOWR(NSM_MAGIC, 0, struct nsm_raw)`
   * = (READ|WRITE = 3) << 30 | sizeof(nsm_raw) << 16 | magic << 8 | nr = 0xc0200a00.
   */
  ioctlRaw: ((3 << 30) >>> 0) + (32 << 16) + (0x0a << 8) + 0,
} as const;

/** Error codes the NSM answers with (aws-nitro-enclaves-nsm-api `ErrorCode`). */
export const NSM_ERROR_CODES = [
  "InvalidArgument",
  "InvalidIndex",
  "InvalidResponse",
  "ReadOnlyIndex",
  "InvalidOperation",
  "BufferTooSmall",
  "InputTooLarge",
  "InternalError",
] as const;

/** Largest nonce / user_data / public_key we send (what genuine documents carry). */
export const MAX_REQUEST_FIELD_BYTES = 1024;

const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  pack: false,
  variableMapSize: true,
  useTag259ForMaps: false,
} as ConstructorParameters<typeof Encoder>[0]);
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });
/**
 * Strict CBOR before cbor-x (docs/decisions/0050): text keys, no tags (the document is
 * a byte string here). Depth 2: the answer map and the `Attestation` map inside it.
 */
const checkResponse = createStrictCborCheck({ mapKeys: ["text"], maxDepth: 2 });

/** Raised when the NSM is unreachable or answers with an error. */
export class NsmError extends VettidError {
  constructor(message: string, cause?: unknown) {
    super("UNAVAILABLE", message, { cause });
    this.name = "NsmError";
  }
}

function field(name: string, value: Uint8Array | undefined): Uint8Array | null {
  if (value === undefined) return null;
  if (value.length > MAX_REQUEST_FIELD_BYTES) {
    throw new VettidError("VALIDATION_FAILED", `${name} exceeds ${MAX_REQUEST_FIELD_BYTES} bytes`);
  }
  return value;
}

/**
 * Encodes `Request::Attestation` as serde_cbor does in aws-nitro-enclaves-nsm-api:
 * `{"Attestation": {"user_data": bytes|null, "nonce": bytes|null, "public_key": bytes|null}}`.
 */
export function encodeAttestationRequest(request: AttestationRequest): Uint8Array {
  const body = new Map<string, Uint8Array | null>([
    ["user_data", field("user_data", request.userData)],
    ["nonce", field("nonce", request.nonce)],
    ["public_key", field("public_key", request.publicKey)],
  ]);
  const bytes = new Uint8Array(encoder.encode(new Map([["Attestation", body]])));
  if (bytes.length > NSM.requestMaxSize) throw new VettidError("VALIDATION_FAILED", "NSM request too large");
  return bytes;
}

/**
 * Decodes the NSM's answer to an attestation request: `{"Attestation": {"document":
 * bytes}}`, or `{"Error": "<ErrorCode>"}`, after checking that it is strict CBOR.
 *
 * @throws NsmError on an error answer or anything unexpected.
 */
export function decodeAttestationResponse(bytes: Uint8Array): Uint8Array {
  let value: unknown;
  try {
    checkResponse(bytes);
    value = decoder.decode(bytes);
  } catch (err) {
    throw new NsmError(`NSM response is not strict CBOR${isCborError(err) ? ` (${err.reason})` : ""}`, err);
  }
  if (value instanceof Map && value.size === 1) {
    const error = value.get("Error");
    if (typeof error === "string") {
      const known = (NSM_ERROR_CODES as readonly string[]).includes(error) ? error : "unknown error";
      throw new NsmError(`NSM refused the attestation request: ${known}`);
    }
    const attestation = value.get("Attestation");
    if (attestation instanceof Map) {
      const document = attestation.get("document");
      if (document instanceof Uint8Array && document.length > 0) return new Uint8Array(document);
    }
  }
  throw new NsmError("NSM response is not an Attestation answer");
}

/**
 * Limits of AWS Nitro attestation documents, each with where it comes from.
 * Reference: aws-nitro-enclaves-nsm-api `docs/attestation_process.md`.
 */

/**
 * Largest document accepted. The NSM driver's response buffer is
 * `NSM_RESPONSE_MAX_SIZE = 0x3000` bytes (include/uapi/linux/nsm.h) and the document
 * travels inside that response, so no genuine document is larger.
 */
export const MAX_DOCUMENT_BYTES = 0x3000;

/** COSE algorithm identifier of ECDSA with SHA-384 on P-384 (RFC 9053 §2.1). */
export const COSE_ALG_ES384 = -35;
/** CBOR tag of COSE_Sign1 (RFC 9052 §4.2); AWS sends the array untagged. */
export const COSE_SIGN1_TAG = 18;
/** COSE header label `alg` (RFC 9052 §3.1). */
export const COSE_HEADER_ALG = 1;
/** COSE header label `crit`: a critical header we cannot understand must be refused. */
export const COSE_HEADER_CRIT = 2;
/** ES384 signature: r ‖ s, 48 bytes each (RFC 9053 §2.1). */
export const ES384_SIGNATURE_BYTES = 96;

/** The only digest AWS documents name. */
export const DIGEST_SHA384 = "SHA384";
/** PCR values are 32, 48 or 64 bytes (SHA-256/384/512); the spec allows all three. */
export const PCR_LENGTHS: ReadonlySet<number> = new Set([32, 48, 64]);
/** PCR indexes are in [0, 32) per the spec; genuine documents carry 16 or more. */
export const MAX_PCR_INDEX = 31;
/** At most one entry per index. */
export const MAX_PCR_COUNT = MAX_PCR_INDEX + 1;
/** The enclave image, kernel+boot and application measurements. */
export const IMAGE_PCRS = [0, 1, 2] as const;

/** `module_id` is a short instance/enclave id such as `i-0697c9729fa547b20-enc0183422ede9a5dc8`. */
export const MAX_MODULE_ID_LENGTH = 256;
/**
 * `certificate` and each `cabundle` entry: the spec says 1..1024 bytes; genuine AWS
 * certificates are 500-800 bytes (ECDSA P-384 with CRL distribution points).
 */
export const MAX_CERTIFICATE_BYTES = 1024;
/** The spec allows a bundle of at least one certificate; AWS sends 4 (root, regional, zonal, instance). */
export const MAX_CABUNDLE_LENGTH = 8;
/**
 * `public_key`, `user_data`, `nonce`: the spec says 1..1024, 0..512, 0..512 bytes,
 * but genuine documents from current NSM versions carry up to 1024 bytes of
 * `user_data` and `nonce` as well, so all three are accepted up to 1024.
 */
export const MAX_OPTIONAL_FIELD_BYTES = 1024;
/** The payload has nine defined keys; a few unknown (signed) keys are tolerated, no more. */
export const MAX_PAYLOAD_KEYS = 16;

/**
 * How far a document's timestamp may lie after the verification time (clock skew
 * between the enclave host and the verifier). Beyond that it is refused as stale.
 */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** How many verified CA certificates are kept parsed (about 4 per region-zone-host triple). */
export const CA_CACHE_ENTRIES = 512;

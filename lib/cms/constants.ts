/** Object identifiers used by the CMS EnvelopedData that KMS returns for a recipient. */
export const OIDS = {
  /** id-envelopedData (RFC 5652 §6). */
  envelopedData: "1.2.840.113549.1.7.3",
  /** id-data (RFC 5652 §4). */
  data: "1.2.840.113549.1.7.1",
  /** id-RSAES-OAEP (RFC 8017 / RFC 4055). */
  rsaesOaep: "1.2.840.113549.1.1.7",
  /** id-mgf1 (RFC 8017). */
  mgf1: "1.2.840.113549.1.1.8",
  /** id-sha256 (RFC 5754). */
  sha256: "2.16.840.1.101.3.4.2.1",
  /** id-aes256-CBC (RFC 3565). */
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
} as const;

/** AES-256 key bytes. */
export const CONTENT_KEY_BYTES = 32;

/** AES-CBC initialisation vector bytes. */
export const CBC_IV_BYTES = 16;

/**
 * Largest EnvelopedData accepted for decryption. Derivation: KMS plaintexts are at
 * most 4096 bytes (padded to 4112), plus a 4096-bit RSA wrapped key (512) and
 * ASN.1 overhead well under 1 KiB: 8 KiB is generous.
 */
export const MAX_ENVELOPED_DATA_BYTES = 8 * 1024;

/**
 * Limits and settings of the enclave's own KMS client.
 */

/** Length of a vault root key: an AES-256 / XChaCha20 key. */
export const DATA_KEY_BYTES = 32;

/** Largest `CiphertextBlob` KMS returns (KMS caps ciphertexts at 6,144 bytes). */
export const MAX_CIPHERTEXT_BLOB_BYTES = 6_144;

/**
 * Sockets (tunnels) the KMS client keeps. Derivation: vault operations call KMS only
 * on init and unlock; four concurrent calls keep an Argon2id-bound unlock queue fed,
 * and the proxy allows eight tunnels per enclave (lib/proxy-protocol MAX_TUNNELS).
 */
export const MAX_KMS_SOCKETS = 4;

/** TLS handshake plus one KMS call through the host finish within seconds or have failed. */
export const KMS_REQUEST_TIMEOUT_MS = 10_000;

/**
 * How long one Recipient attestation document is reused. KMS checks the document's
 * age; a minute keeps NSM calls rare and far inside any freshness window.
 */
export const RECIPIENT_DOCUMENT_TTL_MS = 60_000;

/** How long one recipient RSA key serves before a new one is generated (one hour). */
export const RECIPIENT_KEY_TTL_MS = 3_600_000;

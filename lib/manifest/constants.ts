/** Limits and governance parameters of PCR manifests (docs/decisions/0067-release-governance.md). */

/** The signing algorithm of PCR manifests (every release key is P-256). */
export const MANIFEST_ALG = "ES256";

/**
 * The activation delay: a release becomes usable no sooner than this after the manifest
 * that approves it was issued, so reviewers can rebuild and inspect it before any vault
 * key can reach it. Devices and the proxy check it; the sealing key policy enforces it
 * with `DateGreaterThan aws:CurrentTime` at the release's `activates_at`.
 */
export const RELEASE_ACTIVATION_DELAY_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The fewest signatures a release key set may require. One signature is what one
 * compromised release role can produce, so production verifiers refuse a set whose
 * threshold is lower.
 */
export const MIN_RELEASE_THRESHOLD = 2;

/** Most keys a release key set holds: a handful of owners, with room to rotate (keeps parsing bounded). */
export const MAX_RELEASE_KEYS = 16;

/**
 * Most signatures one manifest carries: a rotation manifest is signed by the old and the
 * new set, at most {@link MAX_RELEASE_KEYS} keys each.
 */
export const MAX_MANIFEST_SIGNATURES = 2 * MAX_RELEASE_KEYS;

/** A manifest issued further in the future than this (clock skew) is refused. */
export const MAX_ISSUED_AT_SKEW_MS = 5 * 60 * 1000;

/**
 * Largest manifest text accepted: 256 releases of about 800 bytes each plus 32
 * signatures of about 250 bytes, base64url-encoded (×4/3), rounded up.
 */
export const MAX_MANIFEST_BYTES = 512 * 1024;

/**
 * The most manifests a verifier fetches from the history to catch up from the one it
 * saw last (one at a time, each verified before the next is asked for). Renewed about
 * monthly, 64 serials are years; a manifest claiming to be further ahead is refused
 * MANIFEST_GAP without fetching anything, so a forged serial costs no downloads.
 */
export const MAX_MANIFEST_CATCH_UP = 64;

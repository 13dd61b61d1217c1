/**
 * The recovery secret (docs/protocol.md §Backup and recovery, docs/decisions/0068):
 * drawn inside the enclave at `vault.init`, shown once, and needed with an enclave to
 * open any backup of the vault.
 */

/** Bytes of the recovery secret: 240 bits, out of reach of any offline or online search. */
export const RECOVERY_SECRET_BYTES = 30;

/** Symbols of its text form: 48 for the secret and 4 of checksum, in 13 groups of four. */
export const RECOVERY_CODE_SYMBOLS = 52;

/** Checksum symbols at its end (20 bits: a mistyped symbol is caught before any request). */
export const RECOVERY_CODE_CHECKSUM_SYMBOLS = 4;

/** Longest text read as a recovery code: 52 symbols, 12 separators and room for spaces. */
export const MAX_RECOVERY_CODE_TEXT = 256;

/** Labels of the BLAKE2b derivations; each begins with `VETTID-`. */
export const RECOVERY_LABELS = {
  /** The checksum of the text form. */
  code: "VETTID-RECOVERY-CODE-1",
  /** The recovery key the vault keeps (`recoveryKey`). */
  key: "VETTID-RECOVERY-KEY-1",
} as const;

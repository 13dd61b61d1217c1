/**
 * The sealed audit log of a vault (docs/decisions/0058-sealed-audit-log.md,
 * docs/protocol.md §Audit log): entry kinds, chain labels and limits, shared by the
 * enclave that writes the log and the device that verifies it. Labels and limits are
 * part of version 1 of the log and never change; a change is a new version.
 */

/** Version of the entry encoding and the chain construction. */
export const AUDIT_VERSION = 1;

/** Domain labels of the chain (ASCII, no terminator). */
export const AUDIT_LABELS = {
  /** `digest_0`: BLAKE2b-256(genesis ‖ u8 len ‖ vault id). */
  genesis: "VETTID-AUDIT-1/genesis",
  /** `digest_n`: BLAKE2b-256(entry ‖ u8 len ‖ vault id ‖ digest_{n−1} ‖ entry bytes). */
  entry: "VETTID-AUDIT-1/entry",
} as const;

/** Chain digests: BLAKE2b-256. */
export const AUDIT_DIGEST_BYTES = 32;

/**
 * The kinds the runtime records today, with the detail each carries:
 *
 * | kind | detail | when |
 * | --- | --- | --- |
 * | `vault.initialized` | — | the founding device created the vault |
 * | `unlock.attempted` | `failures` | a PIN attempt was counted, before the PIN was checked |
 * | `unlock.succeeded` | — | the PIN matched; the counter is reset |
 * | `unlock.failed` | `failures` | the PIN did not match (`failures` counts this one) |
 * | `pin.changed` | — | a new PIN was set |
 * | `device.added` | — | a new device proved the pairing secret and is pending (`device` is the new one) |
 * | `device.approved` | `device` | an authorized device approved the pending device `detail.device` |
 * | `device.revoked` | `device` | an authorized device removed device `detail.device` |
 */
export const AUDIT_KINDS = {
  vaultInitialized: "vault.initialized",
  unlockAttempted: "unlock.attempted",
  unlockSucceeded: "unlock.succeeded",
  unlockFailed: "unlock.failed",
  pinChanged: "pin.changed",
  deviceAdded: "device.added",
  deviceApproved: "device.approved",
  deviceRevoked: "device.revoked",
  backupExported: "backup.exported",
  backupRestored: "backup.restored",
  recoveryStarted: "recovery.started",
  recoveryCancelled: "recovery.cancelled",
} as const;

export type AuditKind = (typeof AUDIT_KINDS)[keyof typeof AUDIT_KINDS];

/** What a detail field of a known kind holds: a non-negative integer or printable text. */
export type AuditDetailType = "uint" | "text";

/** The detail fields each known kind carries, exactly, and their types (a device refuses others for a known kind). */
export const AUDIT_KIND_DETAIL: { readonly [K in AuditKind]: Readonly<Record<string, AuditDetailType>> } = {
  "vault.initialized": {},
  "unlock.attempted": { failures: "uint" },
  "unlock.succeeded": {},
  "unlock.failed": { failures: "uint" },
  "pin.changed": {},
  "device.added": {},
  "device.approved": { device: "text" },
  "device.revoked": { device: "text" },
  "backup.exported": { backup: "text" },
  "backup.restored": { backup: "text", from: "text", into: "text" },
  "recovery.started": { backup: "text", into: "text" },
  "recovery.cancelled": { backup: "text", into: "text" },
};

/** A kind: two to four dot-separated lower-case words, at most 32 characters. */
export const AUDIT_KIND_PATTERN = /^[a-z]+(\.[a-z]+){1,3}$/;
export const MAX_AUDIT_KIND_LENGTH = 32;

/** A detail key: a lower-camel-case word of at most 16 characters. */
export const AUDIT_DETAIL_KEY_PATTERN = /^[a-z][A-Za-z0-9]{0,15}$/;

/** Most detail fields of one entry. */
export const MAX_AUDIT_DETAIL_FIELDS = 4;

/** A text detail value: printable ASCII, at most 64 characters (safe to print on a terminal). */
export const AUDIT_DETAIL_TEXT_PATTERN = /^[\x20-\x7e]{0,64}$/;

/**
 * Largest encoded entry. Derivation: map header 1; `seq`/`at` 4 + 9 each; `kind`
 * 5 + 34; `device` 7 + 66; `detail` 7 + 1 + 4 × (17 + 66) = 340 — 474 in all; 512
 * leaves room.
 */
export const MAX_AUDIT_ENTRY_BYTES = 512;

/**
 * Most entries in one `vault.audit` answer. 64 × 512 bytes = 32 KiB, far below the
 * NATS message limit, and a full read of a year of daily use is a few dozen pages.
 */
export const MAX_AUDIT_PAGE = 64;

/** Latest time an entry may record: the last instant a JavaScript `Date` holds. */
export const MAX_AUDIT_TIME_MS = 8_640_000_000_000_000;

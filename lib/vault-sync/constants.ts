/**
 * Device sync (docs/decisions/0073-device-sync.md, docs/protocol.md §Changes): the
 * change events of a vault, their chain labels and limits, shared by the enclave that
 * records them and the device that verifies them. Version 1 never changes; a change
 * is a new version.
 */
import { MAX_ITEM_NAME_LENGTH, MAX_ITEM_VALUE_BYTES } from "../vault-protocol/constants";

/** Version of the event encoding and the chain construction. */
export const SYNC_VERSION = 1;

/** Domain labels of the chain (ASCII, no terminator). */
export const SYNC_LABELS = {
  /** `digest_0`: BLAKE2b-256(genesis ‖ u8 len ‖ vault id). */
  genesis: "VETTID-SYNC-1/genesis",
  /** `digest_n`: BLAKE2b-256(event ‖ u8 len ‖ vault id ‖ digest_{n−1} ‖ event bytes). */
  event: "VETTID-SYNC-1/event",
} as const;

/** Chain digests: BLAKE2b-256. */
export const SYNC_DIGEST_BYTES = 32;

/**
 * The kinds of change, with the fields each carries besides `seq`, `at`, `kind`,
 * `name` and `prev`:
 *
 * | kind | fields | when |
 * | --- | --- | --- |
 * | `item.put` | `type`, `version`, `value` | an item was stored (created, or a new version) |
 * | `item.deleted` | — | an item was deleted |
 *
 * Devices, the PIN and backups are security events: they are in the audit log, not here.
 */
export const SYNC_KINDS = { itemPut: "item.put", itemDeleted: "item.deleted" } as const;

export type SyncKind = (typeof SYNC_KINDS)[keyof typeof SYNC_KINDS];

/** Longest item name, in UTF-16 code units (as the protocol's). */
export const MAX_SYNC_NAME_LENGTH = MAX_ITEM_NAME_LENGTH;

/** Largest item value (as the protocol's). */
export const MAX_SYNC_VALUE_BYTES = MAX_ITEM_VALUE_BYTES;

/**
 * Largest encoded event. Derivation: map header 1; `at`/`seq`/`version` 3 + 4 + 8 + 9
 * each at most; `kind` 5 + 13; `name` 5 + 3 + 256 × 3 UTF-8 bytes; `prev` 5 + 2 + 32;
 * `type` 5 + 8; `value` 6 + 5 + 65,536 — 66,452 in all; 66,560 (65 KiB) leaves room.
 */
export const MAX_SYNC_EVENT_BYTES = 66_560;

/**
 * Largest change event as the change log stores it, sealed (vault-enclave/sync/sealed-change.ts,
 * version 1), and so the largest message of the sync stream. Derivation: header "VTSC" ‖ u8
 * version ‖ u64 seq (4 + 1 + 8), nonce 24, the largest event padded to whole 256-byte blocks
 * (padding adds at least one byte: 261 blocks, 66,816), tag 16 — 66,869 in all.
 */
export const MAX_SEALED_CHANGE_BYTES = 4 + 1 + 8 + 24 + (Math.floor(MAX_SYNC_EVENT_BYTES / 256) + 1) * 256 + 16;

/** Most events in one `vault.changes` answer. */
export const MAX_CHANGES_PAGE = 64;

/**
 * Most event bytes in one `vault.changes` answer: 512 KiB keeps the sealed answer far
 * below the NATS message limit (1 MiB) while at least seven events of the largest size fit.
 */
export const MAX_CHANGES_PAGE_BYTES = 524_288;

/** Latest time an event may record: the last instant a JavaScript `Date` holds. */
export const MAX_SYNC_TIME_MS = 8_640_000_000_000_000;

/**
 * Limits, sizes and policy of the sealed vault state (docs/decisions/0055). Every
 * limit says how it was derived. Values that are written into stored state (labels,
 * magic, sizes of a format) never change for a released format: a change is a new
 * format file.
 */
import { MAX_BLOB_BYTES } from "../../lib/proxy-protocol";
import { DATA_KEY_BYTES, MAX_CIPHERTEXT_BLOB_BYTES } from "../kms/constants";
import type { Argon2idParams } from "./types";

/** The blob store object that holds a vault's sealed state: `vaults/<id>/state`. */
export const STATE_BLOB_NAME = "state";

/** First bytes of every state blob: ASCII `VTVS` (VettID vault state). */
export const STATE_MAGIC = Uint8Array.of(0x56, 0x54, 0x56, 0x53);

/** Magic (4) + format version (1): what every format shares before its own layout. */
export const STATE_PREFIX_BYTES = STATE_MAGIC.length + 1;

/** Largest state blob: the blob channel's 1 MiB (lib/proxy-protocol `MAX_BLOB_BYTES`). */
export const MAX_STATE_BLOB_BYTES = MAX_BLOB_BYTES;

/** Largest KMS `CiphertextBlob` stored beside the layers (KMS caps ciphertexts at 6,144 bytes). */
export const MAX_KMS_BLOB_BYTES = MAX_CIPHERTEXT_BLOB_BYTES;

/** The vault root key released by KMS: 32 bytes (vault-enclave/kms `DATA_KEY_BYTES`). */
export const ROOT_KEY_BYTES = DATA_KEY_BYTES;

/** Every derived key (outer, inner, PIN) and every digest: 32 bytes (XChaCha20 key, BLAKE2b-256). */
export const KEY_BYTES = 32;
export const DIGEST_BYTES = 32;

/** XChaCha20-Poly1305-IETF nonce and tag sizes (libsodium constants). */
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;

/** Argon2id salt: `crypto_pwhash_SALTBYTES`. */
export const PIN_SALT_BYTES = 16;

/** Ed25519 public keys (signing) and X25519 public keys: 32 bytes. */
export const PUBLIC_KEY_BYTES = 32;

/** The vault's Ed25519 identity secret key in libsodium's form (seed ‖ public key): 64 bytes. */
export const IDENTITY_SECRET_KEY_BYTES = 64;

/** The recovery-secret verifier (reserved): a BLAKE2b-256 value, like the PIN verifier. */
export const RECOVERY_VERIFIER_BYTES = 32;

/**
 * Argon2id (v1.3, `crypto_pwhash_ALG_ARGON2ID13`) parameters for every new PIN:
 * 64 MiB, 3 passes — libsodium's `MODERATE` memory with its `INTERACTIVE`-class pass
 * count (RFC 9106 §4's second recommended option is 64 MiB, t = 3).
 *
 * Measured once on the development machine (2 shared cores, Node 20.20, libsodium
 * wrappers-sumo 0.8 WebAssembly, load ≈ 1.5): 0.36 s per derivation (0.48 s for the
 * first, cold call). The runtime derives the PIN key once per unlock and once per PIN
 * change; a guess costs an attacker the same 64 MiB and 3 passes, and at most
 * {@link MAX_PIN_FAILURES} guesses are ever checked inside the enclave.
 *
 * Tests pass their own tiny parameters explicitly; this default is never lowered for them.
 */
export const DEFAULT_ARGON2ID: Readonly<Argon2idParams> = Object.freeze({
  opsLimit: 3,
  memLimitBytes: 64 * 1024 * 1024,
});

/**
 * Bounds on the Argon2id parameters a stored state may name. Lower: libsodium's own
 * minimum (1 pass, 8 KiB). Upper: 16 passes and 256 MiB (4× the default), so no state,
 * even one written by a faulty release, can make an unlock take the enclave's memory
 * or minutes of CPU.
 */
export const ARGON2ID_BOUNDS = Object.freeze({
  minOpsLimit: 1,
  maxOpsLimit: 16,
  minMemLimitBytes: 8 * 1024,
  maxMemLimitBytes: 256 * 1024 * 1024,
});

/** Longest PIN or passphrase, in UTF-8 bytes after NFC: a long passphrase, far below libsodium's limit. */
export const MAX_PIN_BYTES = 1024;

/**
 * PIN attempt policy (DESIGN.md §3, invariant 7). The first {@link FREE_PIN_FAILURES}
 * wrong PINs cost nothing but the Argon2id time. From the 3rd failure on, the next
 * attempt waits `PIN_BACKOFF_BASE_MS × 2^(failures − 3)`:
 *
 * | failures | next attempt after |
 * | --- | --- |
 * | 1–2 | immediately |
 * | 3 | 30 s |
 * | 4 | 1 min |
 * | 5 | 2 min |
 * | 6 | 4 min |
 * | 7 | 8 min |
 * | 8 | 16 min |
 * | 9 | 32 min |
 * | 10 | never: locked out |
 *
 * After {@link MAX_PIN_FAILURES} failures the PIN can no longer open the vault at all;
 * no operator, host or edge path resets the counter (only a recovery flow, reserved
 * for the devices work, may). Ten guesses at a 6-digit PIN find it with probability
 * 10⁻⁵. The wait before the 10th attempt is reached is about 63 minutes in total.
 */
export const FREE_PIN_FAILURES = 2;
export const PIN_BACKOFF_BASE_MS = 30_000;
export const MAX_PIN_FAILURES = 10;

/** Item types a vault holds (DESIGN.md §4): login credential, secret, note, profile field. */
export const ITEM_TYPES = ["login", "secret", "note", "profile"] as const;

/** Longest item name: 256 UTF-16 code units, a long title. */
export const MAX_ITEM_NAME_LENGTH = 256;

/**
 * Largest item value: 64 KiB holds a long note or a certificate bundle; the blob limit
 * still caps the whole vault at 1 MiB.
 */
export const MAX_ITEM_VALUE_BYTES = 65_536;

/**
 * Most items in one vault. Derivation: the smallest item costs about 100 bytes of
 * CBOR (six field names and their values), so a 1 MiB blob cannot hold many more;
 * the bound keeps validation work fixed whatever a payload claims.
 */
export const MAX_ITEMS = 10_000;

/** Most authorized devices: a person's phones, tablets and laptops, with room to spare. */
export const MAX_DEVICES = 32;

/**
 * Most devices waiting for approval at once. Each needs its own pairing secret, and a
 * vault has at most one open pairing at a time, so a handful covers a person adding
 * devices one after another; the bound keeps a stream of joins from filling the state.
 */
export const MAX_PENDING_DEVICES = 4;

/** Digits of a pairing's short authentication string (lib/pairing SAS_DIGITS). */
export const SAS_PATTERN = /^[0-9]{6}$/;

/** Longest device label ("Anna's iPhone"): 64 UTF-16 code units. */
export const MAX_DEVICE_LABEL_LENGTH = 64;

/**
 * Largest outer plaintext. Derivation: a device record is at most ~270 bytes of CBOR
 * (64-character id and label, two 32-byte keys, field names), 32 of them ≈ 8.6 KiB,
 * plus the PIN record, counters and inner reference (< 300 bytes); 16 KiB leaves room.
 */
export const MAX_OUTER_PLAINTEXT_BYTES = 16_384;

/**
 * Padding blocks (ISO/IEC 7816-4, libsodium `sodium_pad`) of the two plaintexts. The
 * host sees the blob's size; padding the inner layer to 4 KiB means editing an item
 * or adding a few small ones does not change it, and the outer to 1 KiB hides label
 * lengths and small changes in the device list.
 */
export const INNER_PAD_BLOCK = 4_096;
export const OUTER_PAD_BLOCK = 1_024;

/** Latest time a state may record, in ms since the epoch: the last instant a JavaScript `Date` holds. */
export const MAX_TIME_MS = 8_640_000_000_000_000;

/** Deepest CBOR nesting of a payload: map → list → record map is 3; one spare level. */
export const MAX_PAYLOAD_DEPTH = 4;

/**
 * Entries per audit segment (docs/decisions/0058). The outer layer keeps between
 * `N` and `2N` of the newest entries once the log has rolled over; when an append
 * would make it `2N + 1`, the oldest `N` move to a sealed segment first. 16 entries
 * of at most 512 bytes (lib/vault-audit `MAX_AUDIT_ENTRY_BYTES`) make a segment of at
 * most 8 KiB plus its header, and a day of ordinary use (a few unlocks, two entries
 * each) about one segment.
 */
export const AUDIT_SEGMENT_ENTRIES = 16;

/** Most entries the outer layer keeps: two segments' worth (see {@link AUDIT_SEGMENT_ENTRIES}). */
export const MAX_AUDIT_TAIL_ENTRIES = 2 * AUDIT_SEGMENT_ENTRIES;

/** Blob store name of the segment starting at `firstSeq`: `vaults/<id>/audit-<firstSeq>` (decimal). */
export const AUDIT_SEGMENT_BLOB_PREFIX = "audit-";

/** First bytes of every audit segment blob: ASCII `VTAS` (VettID audit segment). */
export const AUDIT_SEGMENT_MAGIC = Uint8Array.of(0x56, 0x54, 0x41, 0x53);

/** Padding block of a segment's plaintext (hides the entries' exact sizes). */
export const AUDIT_SEGMENT_PAD_BLOCK = 1_024;

/**
 * Largest segment plaintext: 16 entries × 512 bytes, their byte-string headers
 * (3 each), the start digest (34) and map/array headers — 8,292 bytes; 12 KiB leaves
 * room.
 */
export const MAX_AUDIT_SEGMENT_PLAINTEXT_BYTES = 12_288;

/**
 * Largest outer plaintext of format 2: format 1's 16 KiB (32 devices, the PIN record,
 * counters, inner reference) plus the audit tail — 32 entries × (512 + 3) bytes and a
 * digest, 16.5 KiB at the very worst — rounded up to 36 KiB.
 */
export const MAX_OUTER_PLAINTEXT_BYTES_V2 = 36_864;

/** Bytes of a backup id (backup.ts, docs/decisions/0068). */
export const BACKUP_ID_BYTES = 16;

/**
 * Backups a vault keeps records of (format 3): a backup restores only while its record
 * is kept, so the newest 8 are restorable; exporting a ninth drops the oldest record.
 */
export const MAX_BACKUP_RECORDS = 8;

/**
 * Vaults one backup may be restored into: the one recovery it is made for (a second
 * would be a second live copy of the identity key). A retry into the same vault (a
 * restore whose write did not complete) counts once. A restored vault should export a
 * backup of its own at once.
 */
export const MAX_RESTORES_PER_BACKUP = 1;

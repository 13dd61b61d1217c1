import type { $ZodIssue } from "zod/v4/core";
import { sodium } from "../../lib/crypto";
import { VettidError } from "../../lib/errors";
import { MAX_BACKUP_BYTES } from "../../lib/vault-protocol/constants";
import * as z from "../../lib/zod";
import { decodePayload, encodePayload } from "./cbor";
import {
  BACKUP_ID_BYTES,
  DIGEST_BYTES,
  INNER_PAD_BLOCK,
  KEY_BYTES,
  MAX_KMS_BLOB_BYTES,
  MAX_TIME_MS,
  NONCE_BYTES,
  PIN_SALT_BYTES,
  TAG_BYTES,
} from "./constants";
import { checkArgon2idParams } from "./keys";
import { openLayer, sealLayer } from "./layer";
import { decodeInnerV1, encodeInnerV1 } from "./payload-v1";
import type { InnerState, PinRecord, SealedLayer } from "./types";

/**
 * A vault backup (docs/decisions/0068, docs/protocol.md §Backup file): what
 * `backup.export` answers and `recovery.start` / `recovery.complete` take back. It
 * opens only inside an enclave that KMS releases the backup's data key to, and only
 * with the vault's recovery secret; the file alone, with or without the secret, opens
 * nowhere else. As pure functions: the runtime brings the keys.
 *
 * Layout, big-endian, nothing after:
 * `"VTBK" | 0x01 | backup id (16) | u8 n, source vault id (n ≤ 64) | u64 exportedAt |
 * u16 k, KMS CiphertextBlob (k) | nonce (24) | u32 c, ciphertext (c)`.
 *
 * - The KMS blob is a data key generated for this backup with the encryption
 *   context `{vault: <source vault id>, purpose: "backup"}` ({@link backupKmsContext}).
 * - Key: `BLAKE2b-256(key = data key ‖ recovery key, "VETTID-BACKUP-1" ‖ backup id)`;
 *   the recovery key is lib/recovery `recoveryKey(secret)`.
 * - Cipher: XChaCha20-Poly1305-IETF over the payload padded to 4 KiB blocks, with
 *   everything before the nonce as associated data.
 * - Payload, deterministic CBOR: `{format: 1, stateVersion, pin: {salt, kdf:
 *   {opsLimit, memLimitBytes}, verifier}, inner: <inner format 1 payload bytes>}` — the
 *   vault's PIN record and its items and identity key as the inner layer holds them
 *   (its recovery key left out: the restoring enclave derives it from the secret).
 *
 * This file never changes once released; a new backup format is a new version byte.
 */

/** The magic of a backup file. */
export const BACKUP_MAGIC = Uint8Array.of(0x56, 0x54, 0x42, 0x4b);

/** The only backup format this release writes and reads. */
export const BACKUP_FORMAT_V1 = 1;

export { MAX_BACKUP_BYTES };

const KEY_LABEL = "VETTID-BACKUP-1";
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const encoder = new TextEncoder();

/** What a backup's header says, authenticated only once {@link openBackup} succeeded. */
export interface BackupHeader {
  backupId: Uint8Array;
  sourceVaultId: string;
  exportedAt: number;
  /** The KMS `CiphertextBlob` of the backup's data key. */
  kmsCiphertextBlob: Uint8Array;
}

/** A backup's layout: its header, and the bytes it authenticates. */
export interface ParsedBackup {
  header: BackupHeader;
  /** Everything before the nonce: the associated data. */
  headerBytes: Uint8Array;
  layer: SealedLayer;
}

/** What a backup holds. */
export interface BackupContent {
  /** The source vault's state version when it was exported. */
  stateVersion: number;
  pin: PinRecord;
  /** Items and identity key; `recoveryKey` is null in a backup. */
  inner: InnerState;
}

/** What opens a backup: the data key KMS released to this enclave, and the vault's recovery key. */
export interface BackupKeys {
  dataKey: Uint8Array;
  recoveryKey: Uint8Array;
}

/** The encryption context of a backup's data key: the source vault (the key policy requires it) and the purpose. */
export function backupKmsContext(sourceVaultId: string): Record<string, string> {
  return { vault: sourceVaultId, purpose: "backup" };
}

const invalid = (message: string, cause?: unknown) =>
  new VettidError("BACKUP_INVALID", message, cause === undefined ? undefined : { cause });

/**
 * Reads a backup's layout, every length checked before it is used. Authenticates
 * nothing: the header is a claim until {@link openBackup} opens the payload.
 * @throws VettidError `BACKUP_INVALID` for anything that is not a well-formed backup,
 *   or one larger than {@link MAX_BACKUP_BYTES}.
 */
export function parseBackup(bytes: Uint8Array): ParsedBackup {
  if (!(bytes instanceof Uint8Array)) throw invalid("a backup is bytes");
  if (bytes.length > MAX_BACKUP_BYTES) throw invalid(`a backup is at most ${MAX_BACKUP_BYTES} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (bytes.length - pos < n) throw invalid("the backup ends inside a field");
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  const magic = take(BACKUP_MAGIC.length);
  if (!magic.every((b, i) => b === BACKUP_MAGIC[i])) throw invalid("not a VettID backup");
  const version = take(1)[0];
  if (version !== BACKUP_FORMAT_V1) throw invalid(`backup format ${version} is not supported`);
  const backupId = take(BACKUP_ID_BYTES);
  const idLength = take(1)[0] as number;
  const sourceVaultId = new TextDecoder("utf-8", { fatal: false }).decode(take(idLength));
  if (!ID.test(sourceVaultId)) throw invalid("the source vault id is malformed");
  need(8);
  const exportedAt = view.getBigUint64(pos);
  pos += 8;
  if (exportedAt > BigInt(MAX_TIME_MS)) throw invalid("the export time is out of bounds");
  need(2);
  const kmsLength = view.getUint16(pos);
  pos += 2;
  if (kmsLength < 1 || kmsLength > MAX_KMS_BLOB_BYTES) throw invalid("the KMS blob length is out of bounds");
  const kmsCiphertextBlob = take(kmsLength);
  const headerBytes = bytes.slice(0, pos);
  const nonce = take(NONCE_BYTES);
  need(4);
  const length = view.getUint32(pos);
  pos += 4;
  if (length < INNER_PAD_BLOCK + TAG_BYTES || (length - TAG_BYTES) % INNER_PAD_BLOCK !== 0) {
    throw invalid("the ciphertext length is out of bounds");
  }
  const ciphertext = take(length);
  if (pos !== bytes.length) throw invalid("bytes follow the ciphertext");
  return {
    header: { backupId, sourceVaultId, exportedAt: Number(exportedAt), kmsCiphertextBlob },
    headerBytes,
    layer: { nonce, ciphertext },
  };
}

/**
 * Seals a backup of `content` under `keys`.
 * @throws VettidError `PAYLOAD_TOO_LARGE` above {@link MAX_BACKUP_BYTES};
 *   `VALIDATION_FAILED` for a header field out of bounds.
 */
export function sealBackup(header: BackupHeader, content: BackupContent, keys: BackupKeys): Uint8Array {
  const id = encoder.encode(header.sourceVaultId);
  if (!ID.test(header.sourceVaultId)) throw new VettidError("VALIDATION_FAILED", "the source vault id is malformed");
  if (header.backupId.length !== BACKUP_ID_BYTES) throw new VettidError("VALIDATION_FAILED", "a backup id is 16 bytes");
  const kms = header.kmsCiphertextBlob;
  if (kms.length < 1 || kms.length > MAX_KMS_BLOB_BYTES) {
    throw new VettidError("VALIDATION_FAILED", "the KMS blob is out of bounds");
  }
  const headerBytes = new Uint8Array(BACKUP_MAGIC.length + 1 + BACKUP_ID_BYTES + 1 + id.length + 8 + 2 + kms.length);
  const view = new DataView(headerBytes.buffer);
  let pos = 0;
  headerBytes.set(BACKUP_MAGIC, pos);
  pos += BACKUP_MAGIC.length;
  headerBytes[pos++] = BACKUP_FORMAT_V1;
  headerBytes.set(header.backupId, pos);
  pos += BACKUP_ID_BYTES;
  headerBytes[pos++] = id.length;
  headerBytes.set(id, pos);
  pos += id.length;
  view.setBigUint64(pos, BigInt(header.exportedAt));
  pos += 8;
  view.setUint16(pos, kms.length);
  pos += 2;
  headerBytes.set(kms, pos);

  const inner = encodeInnerV1({ ...content.inner, recoveryKey: null });
  const payload = encodePayload({
    format: BACKUP_FORMAT_V1,
    stateVersion: content.stateVersion,
    pin: {
      salt: content.pin.salt,
      kdf: { opsLimit: content.pin.kdf.opsLimit, memLimitBytes: content.pin.kdf.memLimitBytes },
      verifier: content.pin.verifier,
    },
    inner,
  });
  const key = backupKey(header.backupId, keys);
  let layer: SealedLayer;
  try {
    layer = sealLayer(payload, INNER_PAD_BLOCK, headerBytes, key);
  } finally {
    sodium().memzero(key);
    sodium().memzero(inner);
    sodium().memzero(payload);
  }
  const total = headerBytes.length + NONCE_BYTES + 4 + layer.ciphertext.length;
  if (total > MAX_BACKUP_BYTES) {
    throw new VettidError("PAYLOAD_TOO_LARGE", `the backup (${total} bytes) exceeds ${MAX_BACKUP_BYTES}`);
  }
  const out = new Uint8Array(total);
  out.set(headerBytes, 0);
  out.set(layer.nonce, headerBytes.length);
  new DataView(out.buffer).setUint32(headerBytes.length + NONCE_BYTES, layer.ciphertext.length);
  out.set(layer.ciphertext, headerBytes.length + NONCE_BYTES + 4);
  return out;
}

const PayloadSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT_V1),
  stateVersion: z.int().check(z.gte(1)),
  pin: z.strictObject({
    salt: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === PIN_SALT_BYTES),
    kdf: z.strictObject({ opsLimit: z.int().check(z.gte(1)), memLimitBytes: z.int().check(z.gte(1)) }),
    verifier: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === DIGEST_BYTES),
  }),
  inner: z.custom<Uint8Array>((v) => v instanceof Uint8Array),
});

/**
 * Opens a parsed backup with the data key KMS released and the recovery key of the
 * secret the person gave. A wrong secret and a tampered file look alike.
 * @throws VettidError `BACKUP_INVALID` when it does not authenticate or decode.
 */
export function openBackup(parsed: ParsedBackup, keys: BackupKeys): BackupContent {
  const key = backupKey(parsed.header.backupId, keys);
  try {
    return openLayer(parsed.layer, INNER_PAD_BLOCK, parsed.headerBytes, key, (plaintext) => {
      const result = z.safeParse(PayloadSchema, decodePayload(plaintext));
      if (!result.success) {
        const issue = result.error.issues[0] as $ZodIssue;
        throw invalid(`backup payload: ${issue.path.join(".")} ${issue.message}`);
      }
      const { stateVersion, pin, inner } = result.data;
      checkArgon2idParams(pin.kdf);
      return { stateVersion, pin, inner: decodeInnerV1(decodePayload(inner)) };
    });
  } catch (err) {
    if (err instanceof VettidError && err.code === "BACKUP_INVALID") throw err;
    throw invalid("the backup does not open: a wrong recovery secret, or a damaged or altered file", err);
  } finally {
    sodium().memzero(key);
  }
}

/** The key of a backup: `BLAKE2b-256(key = data key ‖ recovery key, "VETTID-BACKUP-1" ‖ backup id)`. */
export function backupKey(backupId: Uint8Array, keys: BackupKeys): Uint8Array {
  if (keys.dataKey.length !== KEY_BYTES || keys.recoveryKey.length !== KEY_BYTES) {
    throw new VettidError("INTERNAL", "backup keys are 32 bytes each");
  }
  const key = new Uint8Array(2 * KEY_BYTES);
  key.set(keys.dataKey, 0);
  key.set(keys.recoveryKey, KEY_BYTES);
  const label = encoder.encode(KEY_LABEL);
  const message = new Uint8Array(label.length + backupId.length);
  message.set(label);
  message.set(backupId, label.length);
  try {
    return sodium().crypto_generichash(32, message, key);
  } finally {
    sodium().memzero(key);
  }
}

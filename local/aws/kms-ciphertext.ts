import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * The stand-in's `CiphertextBlob` format (opaque to callers, like AWS's):
 * `"VKMS" | version 0x01 | keyId length (1) | keyId (UTF-8) | iv (12) | AES-256-GCM ciphertext | tag (16)`,
 * with the canonical encryption context (sorted JSON) as associated data.
 */
const MAGIC = Buffer.from("VKMS");
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Canonical form of an encryption context: keys sorted, JSON. */
function contextBytes(context: Record<string, string>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted));
}

/** Encrypts `plaintext` under `key` for `keyId`. */
export function sealBlob(keyId: string, key: Buffer, plaintext: Uint8Array, context: Record<string, string>): Buffer {
  const id = Buffer.from(keyId, "utf8");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(contextBytes(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, Buffer.from([VERSION, id.length]), id, iv, body, cipher.getAuthTag()]);
}

/** Reads the key id of a blob; `undefined` when it is not one of ours. */
export function blobKeyId(blob: Buffer): string | undefined {
  if (blob.length < MAGIC.length + 2 + IV_BYTES + TAG_BYTES || !blob.subarray(0, 4).equals(MAGIC)) return undefined;
  if (blob[4] !== VERSION) return undefined;
  const length = blob[5] as number;
  if (blob.length < 6 + length + IV_BYTES + TAG_BYTES) return undefined;
  return blob.subarray(6, 6 + length).toString("utf8");
}

/** Decrypts a blob; `undefined` when it does not authenticate. */
export function openBlob(blob: Buffer, key: Buffer, context: Record<string, string>): Buffer | undefined {
  const length = blob[5] as number;
  const ivStart = 6 + length;
  const iv = blob.subarray(ivStart, ivStart + IV_BYTES);
  const body = blob.subarray(ivStart + IV_BYTES, blob.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(contextBytes(context));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}

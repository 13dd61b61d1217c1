import { sodium } from "../crypto";
import { VettidError } from "../errors";

/** The statement's first line. */
export const REVOCATION_LABEL = "VETTID-REVOCATION-1";

/**
 * Longest statement: label 19, two ids of at most 64 characters, a time of at most
 * 16 digits, three newlines — 166 bytes; 256 leaves room.
 */
export const MAX_STATEMENT_BYTES = 256;

/** What the vault's identity key signs when it removes a device (docs/protocol.md §Revocation statements). */
export interface RevocationStatement {
  vaultId: string;
  deviceId: string;
  /** Ms since the epoch, by the enclave's clock. */
  revokedAt: number;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const TIME = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The statement's bytes: UTF-8 of `VETTID-REVOCATION-1\n<vaultId>\n<deviceId>\n<revokedAt>`,
 * the time in decimal without leading zeros. The vault signs these bytes with its
 * Ed25519 identity key (plain Ed25519, no pre-hash).
 */
export function encodeRevocationStatement(statement: RevocationStatement): Uint8Array {
  const { vaultId, deviceId, revokedAt } = statement;
  if (!ID.test(vaultId) || !ID.test(deviceId))
    throw new VettidError("VALIDATION_FAILED", "ids are 1..64 of [A-Za-z0-9_-]");
  if (!Number.isSafeInteger(revokedAt) || revokedAt < 0)
    throw new VettidError("VALIDATION_FAILED", "revokedAt is a time in ms");
  return new TextEncoder().encode([REVOCATION_LABEL, vaultId, deviceId, String(revokedAt)].join("\n"));
}

/**
 * Parses statement bytes strictly: exactly the four lines, canonical (re-encoding
 * gives the same bytes).
 * @throws VettidError `VALIDATION_FAILED` for anything else.
 */
export function parseRevocationStatement(bytes: Uint8Array): RevocationStatement {
  const bad = () => new VettidError("VALIDATION_FAILED", "not a revocation statement");
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_STATEMENT_BYTES) throw bad();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw bad();
  }
  const lines = text.split("\n");
  if (lines.length !== 4 || lines[0] !== REVOCATION_LABEL) throw bad();
  const [, vaultId, deviceId, time] = lines as [string, string, string, string];
  if (!ID.test(vaultId) || !ID.test(deviceId) || !TIME.test(time)) throw bad();
  const revokedAt = Number(time);
  if (!Number.isSafeInteger(revokedAt)) throw bad();
  return { vaultId, deviceId, revokedAt };
}

/** Signs a statement with the vault's identity secret key (libsodium's 64-byte form). */
export function signRevocationStatement(
  statement: RevocationStatement,
  identitySecretKey: Uint8Array,
): {
  statement: Uint8Array;
  signature: Uint8Array;
} {
  const bytes = encodeRevocationStatement(statement);
  return { statement: bytes, signature: sodium().crypto_sign_detached(bytes, identitySecretKey) };
}

/**
 * Verifies a signed statement against the vault's identity public key and returns it.
 * @throws VettidError `VALIDATION_FAILED` for a malformed statement, `FORBIDDEN` for a
 *   signature that does not verify.
 */
export function verifyRevocationStatement(
  bytes: Uint8Array,
  signature: Uint8Array,
  identityKey: Uint8Array,
): RevocationStatement {
  const statement = parseRevocationStatement(bytes);
  if (
    !(signature instanceof Uint8Array) ||
    signature.length !== 64 ||
    !(identityKey instanceof Uint8Array) ||
    identityKey.length !== 32 ||
    !sodium().crypto_sign_verify_detached(signature, bytes, identityKey)
  ) {
    throw new VettidError("FORBIDDEN", "the revocation statement is not signed by the vault");
  }
  return statement;
}

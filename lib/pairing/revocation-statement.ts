import { VettidError } from "../errors";

/**
 * The vault's revocation statement: its bytes and their strict parser, with no
 * cryptography, so a verifier that brings its own Ed25519 (the edge, with
 * node:crypto) parses exactly what the enclave encodes.
 */

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
    // ignoreBOM keeps a leading byte-order mark in the text (the default drops it), so
    // BOM ‖ statement, which identity.sign signs since it does not begin with VETTID-,
    // fails the label check instead of reading as the statement
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw bad();
  }
  const lines = text.split("\n");
  if (lines.length !== 4 || lines[0] !== REVOCATION_LABEL) throw bad();
  const [, vaultId, deviceId, time] = lines as [string, string, string, string];
  if (!ID.test(vaultId) || !ID.test(deviceId) || !TIME.test(time)) throw bad();
  const revokedAt = Number(time);
  if (!Number.isSafeInteger(revokedAt)) throw bad();
  const statement = { vaultId, deviceId, revokedAt };
  // canonical: exactly the bytes the vault encodes, nothing a decoder forgave
  if (Buffer.compare(Buffer.from(encodeRevocationStatement(statement)), Buffer.from(bytes)) !== 0) throw bad();
  return statement;
}

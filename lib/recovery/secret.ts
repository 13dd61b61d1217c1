import { sodium } from "../crypto";
import { VettidError } from "../errors";
import { ALPHABET, fromSymbols, normalize, toSymbols } from "../pairing/base32";
import {
  MAX_RECOVERY_CODE_TEXT,
  RECOVERY_CODE_CHECKSUM_SYMBOLS,
  RECOVERY_CODE_SYMBOLS,
  RECOVERY_LABELS,
  RECOVERY_SECRET_BYTES,
} from "./constants";

const encoder = new TextEncoder();

const invalid = (message: string) => new VettidError("VALIDATION_FAILED", `recovery secret: ${message}`);

/** The first 20 bits of `BLAKE2b-256("VETTID-RECOVERY-CODE-1" ‖ ASCII of the 48 secret symbols)`, as 4 symbols. */
function checksum(payload: string): string {
  const digest = sodium().crypto_generichash(32, encoder.encode(RECOVERY_LABELS.code + payload), null);
  return toSymbols(digest.slice(0, 5)).slice(0, RECOVERY_CODE_CHECKSUM_SYMBOLS);
}

/**
 * The text form of a recovery secret, as a person writes it down: 52 Crockford base32
 * symbols (48 for the 30 bytes, 4 of checksum) in 13 groups of four joined by `-`.
 *
 * @example
 * console.log(encodeRecoverySecret(result.recoverySecret)); // "7K2Q-…-M4TZ"
 */
export function encodeRecoverySecret(secret: Uint8Array): string {
  if (!(secret instanceof Uint8Array) || secret.length !== RECOVERY_SECRET_BYTES) {
    throw invalid(`it is ${RECOVERY_SECRET_BYTES} bytes`);
  }
  const payload = toSymbols(secret);
  return ((payload + checksum(payload)).match(/.{4}/g) as string[]).join("-");
}

/**
 * Reads a recovery secret as a person typed or pasted it: case, hyphens and white
 * space ignored, `I`/`L` read as `1` and `O` as `0`. Untrusted input.
 * @throws VettidError `VALIDATION_FAILED` for text longer than 256 characters, a
 *   character outside the alphabet, another number of symbols than 52, or a checksum
 *   that does not match.
 */
export function parseRecoverySecret(text: string): Uint8Array {
  if (typeof text !== "string" || text.length > MAX_RECOVERY_CODE_TEXT) {
    throw invalid(`it is ${RECOVERY_CODE_SYMBOLS} symbols`);
  }
  const symbols = normalize(text);
  if (![...symbols].every((c) => ALPHABET.includes(c))) throw invalid("it holds a character outside its alphabet");
  if (symbols.length !== RECOVERY_CODE_SYMBOLS) {
    throw invalid(`it is ${RECOVERY_CODE_SYMBOLS} symbols, not ${symbols.length}`);
  }
  const payload = symbols.slice(0, RECOVERY_CODE_SYMBOLS - RECOVERY_CODE_CHECKSUM_SYMBOLS);
  if (checksum(payload) !== symbols.slice(payload.length)) {
    throw invalid("its checksum does not match; check each symbol");
  }
  return fromSymbols(payload);
}

/**
 * The recovery key a vault keeps in its inner layer: `BLAKE2b-256` keyed with the
 * secret over `"VETTID-RECOVERY-KEY-1"`. The secret is high-entropy, so no stretching
 * is needed; the enclave keeps the key, never the secret.
 */
export function recoveryKey(secret: Uint8Array): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length !== RECOVERY_SECRET_BYTES) {
    throw invalid(`it is ${RECOVERY_SECRET_BYTES} bytes`);
  }
  return sodium().crypto_generichash(32, encoder.encode(RECOVERY_LABELS.key), secret);
}

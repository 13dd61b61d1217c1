import { sodium } from "../crypto";
import { VettidError } from "../errors";
import { ALPHABET, fromSymbols, normalize, toSymbols } from "./base32";
import {
  IDENTITY_FINGERPRINT_BYTES,
  INVITATION_SYMBOLS,
  PAIRING_CODE_CHECKSUM_SYMBOLS,
  PAIRING_CODE_SYMBOLS,
  PAIRING_LABELS,
  PAIRING_SECRET_BYTES,
} from "./constants";

/**
 * Longest text {@link parsePairingCode} reads: 68 symbols, 16 separators, and room
 * for spaces a person or a copy added; anything longer is refused before any work.
 */
const MAX_CODE_TEXT = 256;

/** What one pairing code carries (docs/protocol.md §Pairing codes). */
export interface PairingCode {
  /** The edge's pairing invitation, as the edge gave it (`XXXX-XXXX-XXXX-XXXX`). */
  invitationCode: string;
  /** The enclave's pairing secret (20 bytes); never sent to the edge. */
  secret: Uint8Array;
  /** {@link identityFingerprint} of the vault's identity public key (10 bytes). */
  identityFingerprint: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * The first 80 bits of `BLAKE2b-256("VETTID-IDENTITY-FP-1" ‖ identityKey)` (unkeyed):
 * what a pairing code says the vault's Ed25519 identity public key is. The vault draws
 * that key inside the enclave, so no one can choose one to match; 80 bits leave a
 * second preimage out of reach even for a key one could choose.
 */
export function identityFingerprint(identityKey: Uint8Array): Uint8Array {
  if (!(identityKey instanceof Uint8Array) || identityKey.length !== 32) {
    throw new VettidError("VALIDATION_FAILED", "an identity key is 32 bytes");
  }
  const label = encoder.encode(PAIRING_LABELS.identityFingerprint);
  const input = new Uint8Array(label.length + 32);
  input.set(label);
  input.set(identityKey, label.length);
  return sodium().crypto_generichash(32, input, null).slice(0, IDENTITY_FINGERPRINT_BYTES);
}

/**
 * The checksum symbols: the first 20 bits of
 * `BLAKE2b-256("VETTID-PAIR-CODE-1" ‖ ASCII of the 64 payload symbols)`, as 4 symbols.
 */
function checksum(payload: string): string {
  const digest = sodium().crypto_generichash(32, encoder.encode(PAIRING_LABELS.code + payload), null);
  return toSymbols(digest.slice(0, 5)).slice(0, PAIRING_CODE_CHECKSUM_SYMBOLS);
}

const invalid = (message: string) => new VettidError("PAIRING_CODE_INVALID", message);

/**
 * The one code a person carries from the device that adds a device to the new one:
 * 68 Crockford base32 symbols in 17 groups of four joined by `-` — the edge
 * invitation (16), the pairing secret (32), the vault's identity fingerprint (16), a
 * checksum (4). docs/protocol.md §Pairing codes has the layout and a test vector.
 *
 * @example
 * const code = encodePairingCode({ invitationCode, secret, identityFingerprint: identityFingerprint(identityKey) });
 */
export function encodePairingCode(code: PairingCode): string {
  const invitation = normalize(String(code.invitationCode));
  if (invitation.length !== INVITATION_SYMBOLS || ![...invitation].every((c) => ALPHABET.includes(c))) {
    throw new VettidError("VALIDATION_FAILED", `the invitation code is ${INVITATION_SYMBOLS} symbols`);
  }
  if (!(code.secret instanceof Uint8Array) || code.secret.length !== PAIRING_SECRET_BYTES) {
    throw new VettidError("VALIDATION_FAILED", `the pairing secret is ${PAIRING_SECRET_BYTES} bytes`);
  }
  if (
    !(code.identityFingerprint instanceof Uint8Array) ||
    code.identityFingerprint.length !== IDENTITY_FINGERPRINT_BYTES
  ) {
    throw new VettidError("VALIDATION_FAILED", `the identity fingerprint is ${IDENTITY_FINGERPRINT_BYTES} bytes`);
  }
  const payload = invitation + toSymbols(code.secret) + toSymbols(code.identityFingerprint);
  return ((payload + checksum(payload)).match(/.{4}/g) as string[]).join("-");
}

/**
 * Reads a pairing code as a person typed or pasted it: case, hyphens and white space
 * ignored, `I`/`L` read as `1` and `O` as `0`. Untrusted input: anything else is
 * refused with a message that says what is wrong.
 * @throws VettidError `PAIRING_CODE_INVALID` for text longer than 256 characters, a
 *   character outside the alphabet, another number of symbols than 68, or a checksum
 *   that does not match (a mistyped symbol).
 */
export function parsePairingCode(text: string): PairingCode {
  if (typeof text !== "string" || text.length > MAX_CODE_TEXT) {
    throw invalid(`a pairing code is ${PAIRING_CODE_SYMBOLS} symbols`);
  }
  const symbols = normalize(text);
  const stray = [...symbols].find((c) => !ALPHABET.includes(c));
  if (stray !== undefined) {
    const shown = /^[\x21-\x7e]$/.test(stray) ? `"${stray}"` : `U+${(stray.codePointAt(0) ?? 0).toString(16)}`;
    throw invalid(`a pairing code has only the symbols 0-9 and A-Z without U; ${shown} is not one`);
  }
  if (symbols.length !== PAIRING_CODE_SYMBOLS) {
    const hint = symbols.length === INVITATION_SYMBOLS ? " (this looks like an ordinary invitation code)" : "";
    throw invalid(`a pairing code is ${PAIRING_CODE_SYMBOLS} symbols (17 groups of 4), not ${symbols.length}${hint}`);
  }
  const payload = symbols.slice(0, PAIRING_CODE_SYMBOLS - PAIRING_CODE_CHECKSUM_SYMBOLS);
  if (checksum(payload) !== symbols.slice(payload.length)) {
    throw invalid("the pairing code's checksum does not match: a symbol is mistyped");
  }
  const secretEnd = INVITATION_SYMBOLS + (PAIRING_SECRET_BYTES * 8) / 5;
  const invitation = payload.slice(0, INVITATION_SYMBOLS);
  return {
    invitationCode: (invitation.match(/.{4}/g) as string[]).join("-"),
    secret: fromSymbols(payload.slice(INVITATION_SYMBOLS, secretEnd)),
    identityFingerprint: fromSymbols(payload.slice(secretEnd)),
  };
}

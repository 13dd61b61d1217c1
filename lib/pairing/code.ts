import { VettidError } from "../errors";
import { PAIRING_SECRET_BYTES } from "./constants";

/** Crockford base32 (no I, L, O, U), as invitation codes (lib/edge). */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Symbols of a pairing code: 20 bytes × 8 / 5. */
export const PAIRING_CODE_SYMBOLS = (PAIRING_SECRET_BYTES * 8) / 5;

/**
 * The pairing secret as a person carries it: 32 Crockford base32 symbols (the bits in
 * order, 5 per symbol), shown as eight groups of four joined by `-`.
 */
export function encodePairingCode(secret: Uint8Array): string {
  if (!(secret instanceof Uint8Array) || secret.length !== PAIRING_SECRET_BYTES) {
    throw new VettidError("VALIDATION_FAILED", `the pairing secret is ${PAIRING_SECRET_BYTES} bytes`);
  }
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of secret) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return (out.match(/.{4}/g) as string[]).join("-");
}

/**
 * Reads a typed pairing code: case, hyphens and spaces ignored, `I`/`L` read as `1`
 * and `O` as `0`.
 * @throws VettidError `VALIDATION_FAILED` for anything but 32 symbols of the alphabet.
 */
export function parsePairingCode(code: string): Uint8Array {
  const symbols = String(code).toUpperCase().replace(/[-\s]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  if (symbols.length !== PAIRING_CODE_SYMBOLS || ![...symbols].every((c) => ALPHABET.includes(c))) {
    throw new VettidError("VALIDATION_FAILED", `a pairing code is ${PAIRING_CODE_SYMBOLS} symbols of 0-9 and A-Z`);
  }
  const out = new Uint8Array(PAIRING_SECRET_BYTES);
  let bits = 0;
  let value = 0;
  let pos = 0;
  for (const c of symbols) {
    value = (value << 5) | ALPHABET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (value >> bits) & 0xff;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

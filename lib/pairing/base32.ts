/**
 * Crockford base32 as people type it (docs/protocol.md §Pairing codes): the symbols of
 * invitation, pairing and recovery codes. Written here rather than taken from a
 * package: three short functions over a fixed alphabet, with the normalisation the
 * codes document.
 */

/** Crockford base32 (no I, L, O, U), as invitation codes (lib/edge). */
export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Bytes → symbols, 5 bits each, most significant first (the length must be a multiple of 5). */
export function toSymbols(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** Symbols (of the alphabet, 8 per 5 bytes) → bytes. */
export function fromSymbols(symbols: string): Uint8Array {
  const out = new Uint8Array((symbols.length * 5) / 8);
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

/** Canonical symbols of typed text: upper case, hyphens and white space dropped, `I`/`L` → `1`, `O` → `0`. */
export function normalize(text: string): string {
  return text.toUpperCase().replace(/[-\s]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
}

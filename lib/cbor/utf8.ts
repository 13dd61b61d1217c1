import { isUtf8 } from "node:buffer";

/**
 * Text strings at least this long are validated natively (simdutf behind
 * `buffer.isUtf8`); below it the JS loop is cheaper than creating the subarray view.
 */
const NATIVE_UTF8_BYTES = 64;

/**
 * True when `bytes[start, end)` is valid UTF-8 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence.
 */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start >= NATIVE_UTF8_BYTES) return isUtf8(bytes.subarray(start, end));
  let i = start;
  while (i < end) {
    const b0 = bytes[i] as number;
    if (b0 < 0x80) {
      i += 1;
      continue;
    }
    if (b0 < 0xc2 || b0 > 0xf4) return false; // continuation byte, overlong lead, or above U+10FFFF
    const b1 = i + 1 < end ? (bytes[i + 1] as number) : 0;
    if (b0 < 0xe0) {
      if ((b1 & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    // Second-byte ranges that exclude overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    const low = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
    const high = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
    if (b1 < low || b1 > high) return false;
    const b2 = i + 2 < end ? (bytes[i + 2] as number) : 0;
    if ((b2 & 0xc0) !== 0x80) return false;
    if (b0 < 0xf0) {
      i += 3;
      continue;
    }
    const b3 = i + 3 < end ? (bytes[i + 3] as number) : 0;
    if ((b3 & 0xc0) !== 0x80) return false;
    i += 4;
  }
  return true;
}

import { createPublicKey, diffieHellman, generateKeyPairSync } from "node:crypto";

/**
 * Checks of the device public keys an enrollment registers, beyond their length:
 * a key that is not a usable point would make the device's later requests fail
 * (or, for a small-order Ed25519 key, let anyone forge its signatures).
 */

/** The field prime 2^255 - 19. */
const P = 2n ** 255n - 19n;
/**
 * The Edwards curve constant d = -121665/121666 mod p (RFC 8032 §5.1), written out
 * rather than computed at load (tests/unit/edge/public-keys.test.ts derives it).
 */
export const EDWARDS_D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const D = EDWARDS_D;
/**
 * The y coordinates of the eight points of order dividing 8 (sign bit ignored):
 * 0 (order 4), 1 (identity), p-1 (order 2) and ±y₈ (order 8). The order-8 value is
 * the one libsodium's `has_small_order` blocklists.
 */
const Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

function modPow(base: bigint, exponent: bigint, modulus = P): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function decode32(value: string): Buffer | undefined {
  const raw = Buffer.from(value, "base64url");
  return raw.length === 32 && raw.toString("base64url") === value ? raw : undefined;
}

/**
 * True when `value` (base64url, 32 bytes) is a canonical encoding of an Ed25519
 * point on the curve that is not of small order (RFC 8032 §5.1.3 decoding; the
 * small-order rule as libsodium's verifier applies it).
 */
export function isUsableEd25519PublicKey(value: string): boolean {
  const raw = decode32(value);
  if (!raw) return false;
  const sign = (raw[31] ?? 0) >> 7;
  const le = Buffer.from(raw);
  le[31] = (le[31] ?? 0) & 0x7f;
  const y = BigInt(`0x${Buffer.from(le).reverse().toString("hex")}`);
  if (y >= P || SMALL_ORDER_Y.has(y)) return false;
  // x² = (y² - 1) / (d·y² + 1); a point exists iff that is a square (and x = 0 only with sign 0)
  const y2 = (y * y) % P;
  const x2 = ((y2 - 1n + P) * modPow((D * y2 + 1n) % P, P - 2n)) % P;
  if (x2 === 0n) return sign === 0;
  return modPow(x2, (P - 1n) / 2n) === 1n;
}

const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

/**
 * True when `value` (base64url, 32 bytes) is an X25519 public key that is not of
 * low order: a Diffie-Hellman with a fresh key must not give the all-zero secret
 * (RFC 7748 §6.1), which OpenSSL reports as a failed derivation.
 */
export function isUsableX25519PublicKey(value: string): boolean {
  const raw = decode32(value);
  if (!raw) return false;
  try {
    const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
    const { privateKey } = generateKeyPairSync("x25519");
    return diffieHellman({ privateKey, publicKey }).some((byte) => byte !== 0);
  } catch {
    return false;
  }
}

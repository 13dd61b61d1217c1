import { randomFillSync } from "node:crypto";

/**
 * `length` bytes from the platform's CSPRNG (Node's `crypto.randomFillSync`, OpenSSL's
 * DRBG seeded by the kernel's `getrandom`; inside a Nitro Enclave the kernel is fed
 * by the NSM's hardware source). Use it for nonces, salts and ephemeral keys instead
 * of libsodium.js's `randombytes_buf`: under Node that one asks `crypto.randomBytes`
 * for 4 bytes per call from inside WebAssembly, about 140 µs for a 24-byte nonce
 * against 6 µs here (bench/vault-ops.bench.ts spends two per round trip). The source
 * is the same; only the path to it differs.
 */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 65_536) {
    throw new RangeError("randomBytes: length must be 0..65536");
  }
  return randomFillSync(new Uint8Array(length));
}

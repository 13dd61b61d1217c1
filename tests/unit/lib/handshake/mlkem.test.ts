import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { sodiumReady } from "../../../../lib/crypto";
import { hex } from "./helpers";

/**
 * The handshake uses noble's ML-KEM-768; libsodium (1.0.21 and later, as on mobile
 * platforms) has its own. Both must agree byte for byte, so a device may use either.
 */
interface SodiumMlKem {
  crypto_kem_mlkem768_seed_keypair(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_kem_mlkem768_enc_deterministic(
    publicKey: Uint8Array,
    seed: Uint8Array,
  ): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  crypto_kem_mlkem768_dec(ciphertext: Uint8Array, privateKey: Uint8Array): Uint8Array;
}

describe("ML-KEM-768 (FIPS 203) in noble and libsodium", () => {
  it("derives the same keys from a seed, encapsulates alike and decapsulates each other's ciphertexts", async () => {
    const s = (await sodiumReady()) as unknown as SodiumMlKem;
    const seed = new Uint8Array(64).map((_, i) => i);
    const m = new Uint8Array(32).map((_, i) => 0xa0 + i);

    const noble = ml_kem768.keygen(seed);
    const sodium = s.crypto_kem_mlkem768_seed_keypair(seed);
    const fromNoble = ml_kem768.encapsulate(noble.publicKey, m);
    const fromSodium = s.crypto_kem_mlkem768_enc_deterministic(sodium.publicKey, m);

    expect(hex(sodium.publicKey)).toBe(hex(noble.publicKey));
    expect(hex(sodium.privateKey)).toBe(hex(noble.secretKey));
    expect(hex(fromSodium.ciphertext)).toBe(hex(fromNoble.cipherText));
    expect(hex(fromSodium.sharedSecret)).toBe(hex(fromNoble.sharedSecret));
    expect(hex(s.crypto_kem_mlkem768_dec(fromNoble.cipherText, sodium.privateKey))).toBe(hex(fromNoble.sharedSecret));
    expect(hex(ml_kem768.decapsulate(fromSodium.ciphertext, noble.secretKey))).toBe(hex(fromSodium.sharedSecret));
  });

  it("rejects a changed ciphertext implicitly: another secret, no error", () => {
    const { publicKey, secretKey } = ml_kem768.keygen(new Uint8Array(64).fill(3));
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, new Uint8Array(32).fill(4));
    const changed = cipherText.slice();
    changed[100] = (changed[100] as number) ^ 1;

    expect(hex(ml_kem768.decapsulate(changed, secretKey))).not.toBe(hex(sharedSecret));
  });
});

import { generateKeyPairSync } from "node:crypto";
import sodium from "libsodium-wrappers-sumo";
import { EDWARDS_D, isUsableEd25519PublicKey, isUsableX25519PublicKey } from "../../../lib/edge/public-keys";

const P = 2n ** 255n - 19n;
/** y of the order-8 points, as libsodium blocklists them. */
const Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;

/** Little-endian Edwards encoding of (y, sign of x). */
function encode(y: bigint, sign: 0 | 1): Uint8Array {
  const bytes = Buffer.from(y.toString(16).padStart(64, "0"), "hex").reverse();
  bytes[31] = (bytes[31] ?? 0) | (sign << 7);
  return new Uint8Array(bytes);
}
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const rawPublic = (type: "ed25519" | "x25519") =>
  b64(
    generateKeyPairSync(type as "ed25519")
      .publicKey.export({ format: "der", type: "spki" })
      .subarray(12),
  );

describe("device public key checks", () => {
  beforeAll(async () => {
    await sodium.ready;
  });

  test("the curve constant d is -121665/121666 mod p", () => {
    // 121666 · d ≡ -121665 (mod p)
    expect((121666n * EDWARDS_D + 121665n) % P).toBe(0n);
    expect(EDWARDS_D > 0n && EDWARDS_D < P).toBe(true);
  });

  test("every Ed25519 point of order dividing 8 is refused, and there are exactly eight of them", () => {
    // Prepare: all canonical encodings whose 8-fold multiple is the identity
    const identity = b64(encode(1n, 0));
    const eightfold = (point: Uint8Array) => {
      let q = point;
      for (let i = 0; i < 3; i += 1) q = sodium.crypto_core_ed25519_add(q, q);
      return b64(q);
    };
    const candidates = [0n, 1n, P - 1n, Y8, P - Y8].flatMap((y) => [encode(y, 0), encode(y, 1)]);
    const smallOrder = candidates.filter((point) => {
      const isValidEncoding = !(b64(point) === b64(encode(1n, 1)) || b64(point) === b64(encode(P - 1n, 1)));
      return isValidEncoding && eightfold(point) === identity;
    });
    // Act
    const accepted = candidates.filter((point) => isUsableEd25519PublicKey(b64(point)));
    // Assess
    expect(new Set(smallOrder.map(b64)).size).toBe(8);
    expect(accepted).toEqual([]);
  });

  test("non-canonical Ed25519 encodings (y >= p) are refused", () => {
    // Act + Assess
    for (const y of [P, P + 1n, P + 2n, 2n ** 255n - 1n]) {
      expect(isUsableEd25519PublicKey(b64(encode(y, 0)))).toBe(false);
    }
  });

  test("real Ed25519 keys are accepted; random bytes are accepted exactly when they are a point on the curve", () => {
    // Prepare
    const real = Array.from({ length: 50 }, () => rawPublic("ed25519"));
    const random = Array.from({ length: 300 }, () => {
      const bytes = sodium.randombytes_buf(32);
      bytes[31] = (bytes[31] ?? 0) & 0x7f;
      return bytes;
    });
    const onCurve = (point: Uint8Array) => {
      try {
        sodium.crypto_core_ed25519_add(point, point);
        return true;
      } catch {
        return false;
      }
    };
    // Act + Assess
    expect(real.every(isUsableEd25519PublicKey)).toBe(true);
    for (const point of random) expect(isUsableEd25519PublicKey(b64(point))).toBe(onCurve(point));
  });

  test("low-order X25519 keys (RFC 7748 §6.1) are refused; real keys are accepted", () => {
    // Prepare: the low-order u coordinates and their non-canonical aliases
    const lowOrder = [
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ].map((hex) => Buffer.from(hex, "hex").toString("base64url"));
    // Act + Assess
    for (const key of lowOrder) expect(isUsableX25519PublicKey(key)).toBe(false);
    expect(Array.from({ length: 20 }, () => rawPublic("x25519")).every(isUsableX25519PublicKey)).toBe(true);
  });
});

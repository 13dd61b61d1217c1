import { sodiumReady } from "../../../../lib/crypto";
import {
  encodeHandshakeUserData,
  generateEnclaveHandshakeKeys,
  HANDSHAKE_KEYS_PURPOSE,
  HANDSHAKE_USER_DATA_BYTES,
  handshakeKeyDigest,
  parseHandshakeUserData,
  USER_DATA_REASONS,
  verifyAttestedHandshakeKeys,
} from "../../../../lib/handshake";
import { PROXY_ATTESTATION_PURPOSE } from "../../../../lib/proxy-protocol";
import { codeOf, encode, hex } from "./helpers";

beforeAll(() => sodiumReady());

/** The `details.reason` of the ATTESTATION_INVALID error `fn` throws. */
function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("ATTESTATION_INVALID");
    return (err as { details?: { reason?: unknown } }).details?.reason;
  }
  throw new Error("expected ATTESTATION_INVALID");
}

describe("attested handshake keys", () => {
  it("digests both public keys with SHA-256 under a domain label", async () => {
    const s = await sodiumReady();
    const keys = generateEnclaveHandshakeKeys();
    const expected = s.crypto_hash_sha256(
      Buffer.concat([encode("VETTID-HANDSHAKE-KEYS-1"), keys.x25519.publicKey, keys.mlkem.publicKey]),
    );

    expect(hex(handshakeKeyDigest(keys.x25519.publicKey, keys.mlkem.publicKey))).toBe(hex(expected));
  });

  it("encodes user_data as purpose, version byte and digest, and parses it back", () => {
    const digest = new Uint8Array(32).map((_, i) => i);
    const userData = encodeHandshakeUserData(digest);

    expect(userData).toHaveLength(HANDSHAKE_USER_DATA_BYTES);
    expect(userData).toHaveLength(55);
    expect(Buffer.from(userData.subarray(0, 22)).toString("ascii")).toBe(HANDSHAKE_KEYS_PURPOSE);
    expect(userData[22]).toBe(1);
    expect(parseHandshakeUserData(userData)).toEqual({ version: 1, keyDigest: digest });
  });

  it("returns the keys that came beside the document when they match its digest", () => {
    const keys = generateEnclaveHandshakeKeys();
    const publicKeys = { x25519: keys.x25519.publicKey, mlkem: keys.mlkem.publicKey };
    const userData = encodeHandshakeUserData(handshakeKeyDigest(publicKeys.x25519, publicKeys.mlkem));

    expect(verifyAttestedHandshakeKeys(userData, publicKeys)).toEqual(publicKeys);
  });

  it("refuses a document made for the proxy's challenge", () => {
    const keys = generateEnclaveHandshakeKeys();
    const publicKeys = { x25519: keys.x25519.publicKey, mlkem: keys.mlkem.publicKey };
    const proxy = encode(PROXY_ATTESTATION_PURPOSE);
    const proxyThenDigest = Buffer.concat([proxy, Uint8Array.of(1), new Uint8Array(32)]);

    expect(reasonOf(() => parseHandshakeUserData(proxy))).toBe(USER_DATA_REASONS.proxyPurpose);
    expect(reasonOf(() => verifyAttestedHandshakeKeys(proxy, publicKeys))).toBe(USER_DATA_REASONS.proxyPurpose);
    expect(reasonOf(() => parseHandshakeUserData(proxyThenDigest))).toBe(USER_DATA_REASONS.proxyPurpose);
  });

  it("refuses keys the host swapped beside the document: either key, or both", () => {
    const real = generateEnclaveHandshakeKeys();
    const host = generateEnclaveHandshakeKeys();
    const userData = encodeHandshakeUserData(handshakeKeyDigest(real.x25519.publicKey, real.mlkem.publicKey));
    const swaps = [
      { x25519: host.x25519.publicKey, mlkem: host.mlkem.publicKey },
      { x25519: host.x25519.publicKey, mlkem: real.mlkem.publicKey },
      { x25519: real.x25519.publicKey, mlkem: host.mlkem.publicKey },
      { x25519: real.x25519.publicKey, mlkem: real.mlkem.publicKey.subarray(0, 1183) },
    ];

    for (const keys of swaps) {
      expect(reasonOf(() => verifyAttestedHandshakeKeys(userData, keys))).toBe(USER_DATA_REASONS.keyDigest);
    }
  });

  it.each([
    ["no user_data", () => undefined, USER_DATA_REASONS.missing],
    ["null user_data", () => null, USER_DATA_REASONS.missing],
    ["empty user_data", () => new Uint8Array(0), USER_DATA_REASONS.missing],
    [
      "another purpose",
      () => Buffer.concat([encode("vettid/session-keys/v2"), new Uint8Array(33)]),
      "user_data_layout",
    ],
    ["a missing digest byte", () => encodeHandshakeUserData(new Uint8Array(32)).subarray(0, 54), "user_data_layout"],
    [
      "an extra byte",
      () => Buffer.concat([encodeHandshakeUserData(new Uint8Array(32)), Uint8Array.of(0)]),
      "user_data_layout",
    ],
    [
      "another version byte",
      () => {
        const u = encodeHandshakeUserData(new Uint8Array(32));
        u[22] = 2;
        return u;
      },
      "user_data_layout",
    ],
  ])("refuses %s", (_what, userData, reason) => {
    expect(reasonOf(() => parseHandshakeUserData(userData()))).toBe(reason);
  });

  it("refuses wrongly sized inputs to the digest and the encoder", () => {
    expect(codeOf(() => handshakeKeyDigest(new Uint8Array(31), new Uint8Array(1184)))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => handshakeKeyDigest(new Uint8Array(32), new Uint8Array(1185)))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => encodeHandshakeUserData(new Uint8Array(31)))).toBe("VALIDATION_FAILED");
  });

  it("makes the same keys from the same seeds, and fresh keys without", () => {
    const seeds = { x25519PrivateKey: new Uint8Array(32).fill(1), mlkemSeed: new Uint8Array(64).fill(2) };
    const a = generateEnclaveHandshakeKeys(seeds);
    const b = generateEnclaveHandshakeKeys(seeds);
    const c = generateEnclaveHandshakeKeys();

    expect(hex(a.mlkem.publicKey)).toBe(hex(b.mlkem.publicKey));
    expect(hex(a.x25519.publicKey)).toBe(hex(b.x25519.publicKey));
    expect(hex(a.mlkem.publicKey)).not.toBe(hex(c.mlkem.publicKey));
    expect(a.mlkem.secretKey).toHaveLength(2400);
    expect(codeOf(() => generateEnclaveHandshakeKeys({ mlkemSeed: new Uint8Array(32) }))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => generateEnclaveHandshakeKeys({ seed: 1 } as never))).toBe("VALIDATION_FAILED");
  });
});

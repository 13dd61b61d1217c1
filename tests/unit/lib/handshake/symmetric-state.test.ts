import { sodiumReady } from "../../../../lib/crypto";
import { CipherState, hkdf, hmacHash, SymmetricState } from "../../../../lib/handshake/symmetric-state";

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * Noise_IK_25519_ChaChaPoly_BLAKE2b from the cacophony test vectors (the Noise
 * community's interoperability vectors, as published with the snow and cacophony
 * implementations). Plain IK, with the symmetric layer this library builds the
 * hybrid on: a match shows MixHash, MixKey, HKDF over HMAC-BLAKE2b, EncryptAndHash,
 * the ChaChaPoly nonce encoding and Split are exactly as Noise rev 34 defines them.
 */
const CACOPHONY_IK = {
  protocolName: "Noise_IK_25519_ChaChaPoly_BLAKE2b",
  prologue: "4a6f686e2047616c74",
  initStatic: "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
  initEphemeral: "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
  respStatic: "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
  respEphemeral: "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
  handshakeHash:
    "1c8fa891cb414fedba6daa7c6f4ae0a6d98e5f9768cc9cecd27e805614943ee9c8a1b27fbfb76dc197255c8aa69f6b4285c423840b8bedf45e652ca64f797d81",
  messages: [
    {
      payload: "4c756477696720766f6e204d69736573",
      ciphertext:
        "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944ba83a447b38c83e327ad936929812f624884847b7831e95e197b2f797088efdd2f88f1db7e1fb0e99c64419097af91cee64e470f4b6fcd9298ce0b56fe20f86e13bf70439c538e3602a7127af71a29cc",
    },
    {
      payload: "4d757272617920526f746862617264",
      ciphertext:
        "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f1448088439f069b267a06b3de3ecb1043bcb098e9af91d9c64748d998c7b47890871571",
    },
    { payload: "462e20412e20486179656b", ciphertext: "cd54383060e7a28434cca27fb1cc524cfbabeb18181589df219d07" },
    { payload: "4361726c204d656e676572", ciphertext: "a856d3bf0246bfc476c655009cd1ed677b8dcc5b349ae8ef2a05f2" },
  ],
} as const;

beforeAll(() => sodiumReady());

describe("Noise symmetric layer (BLAKE2b, ChaChaPoly)", () => {
  it("reproduces the cacophony Noise_IK_25519_ChaChaPoly_BLAKE2b vector, messages and handshake hash", async () => {
    // Prepare
    const s = await sodiumReady();
    const v = CACOPHONY_IK;
    const initS = bytes(v.initStatic);
    const initE = bytes(v.initEphemeral);
    const respS = bytes(v.respStatic);
    const respE = bytes(v.respEphemeral);
    const pub = (sk: Uint8Array) => s.crypto_scalarmult_base(sk);
    const dh = (sk: Uint8Array, pk: Uint8Array) => s.crypto_scalarmult(sk, pk);
    const [m1, m2, m3, m4] = v.messages;

    // Act: initiator -> e, es, s, ss
    const init = SymmetricState.initialize(v.protocolName);
    init.mixHash(bytes(v.prologue));
    init.mixHash(pub(respS));
    init.mixHash(pub(initE));
    init.mixKey(dh(initE, pub(respS)));
    const encS = init.encryptAndHash(pub(initS));
    init.mixKey(dh(initS, pub(respS)));
    const msg1 = Buffer.concat([pub(initE), encS, init.encryptAndHash(bytes(m1.payload))]);

    // responder reads message 1, writes <- e, ee, se
    const resp = SymmetricState.initialize(v.protocolName);
    resp.mixHash(bytes(v.prologue));
    resp.mixHash(pub(respS));
    const re = msg1.subarray(0, 32);
    resp.mixHash(re);
    resp.mixKey(dh(respS, re));
    const rs = resp.decryptAndHash(msg1.subarray(32, 80));
    resp.mixKey(dh(respS, rs));
    const payload1 = resp.decryptAndHash(msg1.subarray(80));
    resp.mixHash(pub(respE));
    resp.mixKey(dh(respE, re));
    resp.mixKey(dh(respE, rs));
    const msg2 = Buffer.concat([pub(respE), resp.encryptAndHash(bytes(m2.payload))]);

    // initiator reads message 2
    init.mixHash(msg2.subarray(0, 32));
    init.mixKey(dh(initE, msg2.subarray(0, 32)));
    init.mixKey(dh(initS, msg2.subarray(0, 32)));
    const payload2 = init.decryptAndHash(msg2.subarray(32));
    const [i1, i2] = init.split();
    const [r1, r2] = resp.split();
    const send = new CipherState(i1);
    const msg3 = send.encryptWithAd(new Uint8Array(0), bytes(m3.payload));
    const msg4 = new CipherState(r2).encryptWithAd(new Uint8Array(0), bytes(m4.payload));

    // Assess
    expect(hex(msg1)).toBe(m1.ciphertext);
    expect(hex(payload1)).toBe(m1.payload);
    expect(hex(rs)).toBe(hex(pub(initS)));
    expect(hex(msg2)).toBe(m2.ciphertext);
    expect(hex(payload2)).toBe(m2.payload);
    expect(hex(init.handshakeHash())).toBe(v.handshakeHash);
    expect(hex(resp.handshakeHash())).toBe(v.handshakeHash);
    expect(hex(i1)).toBe(hex(r1));
    expect(hex(i2)).toBe(hex(r2));
    expect(hex(msg3)).toBe(m3.ciphertext);
    expect(hex(msg4)).toBe(m4.ciphertext);
  });

  it("computes HMAC-BLAKE2b as RFC 2104 over a 128-byte block", async () => {
    const s = await sodiumReady();
    const key = new Uint8Array(64).map((_, i) => i);
    const data = s.from_string("data");
    const block = new Uint8Array(128);
    block.set(key);
    const inner = s.crypto_generichash(64, Buffer.concat([block.map((b) => b ^ 0x36), data]), null);
    const expected = s.crypto_generichash(64, Buffer.concat([block.map((b) => b ^ 0x5c), inner]), null);

    expect(hex(hmacHash(key, data))).toBe(hex(expected));
  });

  it("chains HKDF outputs as Noise §4.3 defines them", () => {
    const ck = new Uint8Array(64).fill(7);
    const ikm = new Uint8Array(32).fill(9);
    const temp = hmacHash(ck, ikm);
    const o1 = hmacHash(temp, Uint8Array.of(1));
    const o2 = hmacHash(temp, o1, Uint8Array.of(2));
    const o3 = hmacHash(temp, o2, Uint8Array.of(3));

    expect(hkdf(ck, ikm, 3).map(hex)).toEqual([o1, o2, o3].map(hex));
    expect(hkdf(ck, ikm, 2).map(hex)).toEqual([o1, o2].map(hex));
  });

  it("encodes the ChaChaPoly nonce as 4 zero bytes then the counter little-endian, moving it only on success", async () => {
    const s = await sodiumReady();
    const key = new Uint8Array(32).fill(3);
    const ad = Uint8Array.of(1, 2);
    const cipher = new CipherState(key);
    const first = cipher.encryptWithAd(ad, Uint8Array.of(0xaa));
    const second = cipher.encryptWithAd(ad, Uint8Array.of(0xaa));
    const nonce1 = new Uint8Array(12);
    nonce1[4] = 1;

    expect(hex(second)).toBe(
      hex(s.crypto_aead_chacha20poly1305_ietf_encrypt(Uint8Array.of(0xaa), ad, null, nonce1, key)),
    );
    const reader = new CipherState(key);
    expect(() => reader.decryptWithAd(ad, second)).toThrow(expect.objectContaining({ code: "HANDSHAKE_FAILED" }));
    expect(reader.decryptWithAd(ad, first)).toEqual(Uint8Array.of(0xaa));
    expect(reader.decryptWithAd(ad, second)).toEqual(Uint8Array.of(0xaa));
  });

  it("passes plaintext through while there is no key, as Noise does before the first MixKey", () => {
    const cipher = new CipherState();
    expect(cipher.hasKey()).toBe(false);
    expect(cipher.encryptWithAd(new Uint8Array(0), Uint8Array.of(5))).toEqual(Uint8Array.of(5));
  });

  it("hashes a protocol name longer than 64 bytes instead of padding it", async () => {
    const s = await sodiumReady();
    const name = `Noise_${"X".repeat(70)}`;
    expect(hex(SymmetricState.initialize(name).handshakeHash())).toBe(hex(s.crypto_generichash(64, name, null)));
    const short = SymmetricState.initialize("Noise_IK").handshakeHash();
    expect(short.length).toBe(64);
    expect(hex(short.subarray(8))).toBe("00".repeat(56));
  });
});

import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { sodiumReady } from "../../../../lib/crypto";
import {
  attestationDigest,
  encodeHandshakeUserData,
  generateEnclaveHandshakeKeys,
  handshakeKeyDigest,
  handshakePrologue,
  initiateHandshake,
  MAX_PAYLOAD_BYTES,
  PROLOGUE_LABEL,
  PROTOCOL_NAME,
  parseHandshakeUserData,
  readHandshakeRequest,
  USER_DATA_REASONS,
} from "../../../../lib/handshake";
import { SymmetricState } from "../../../../lib/handshake/symmetric-state";
import vectors from "../../../vectors/handshake-v1.json";
import { codeOf, encode, hex } from "./helpers";

const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const v = vectors;

beforeAll(() => sodiumReady());

function parties() {
  const enclave = generateEnclaveHandshakeKeys({
    x25519PrivateKey: bytes(v.enclave.x25519PrivateKey),
    mlkemSeed: bytes(v.enclave.mlkemSeed),
  });
  const device = { privateKey: bytes(v.device.staticPrivateKey), publicKey: bytes(v.device.staticPublicKey) };
  const context = {
    vaultId: v.context.vaultId,
    deviceId: v.context.deviceId,
    attestationDigest: attestationDigest(bytes(v.context.attestationDocument)),
  };
  return {
    enclave,
    device,
    context,
    enclaveKeys: { x25519: enclave.x25519.publicKey, mlkem: enclave.mlkem.publicKey },
  };
}

describe("handshake test vectors (tests/vectors/handshake-v1.json)", () => {
  it("publishes the reference code's protocol name, labels, keys, key digest, user_data and prologue", async () => {
    const s = await sodiumReady();
    const { enclave, context } = parties();
    const digest = handshakeKeyDigest(enclave.x25519.publicKey, enclave.mlkem.publicKey);

    expect(v.protocolName).toBe(PROTOCOL_NAME);
    expect(v.prologueLabel).toBe(PROLOGUE_LABEL);
    expect(v.maxPayloadBytes).toBe(MAX_PAYLOAD_BYTES);
    expect(hex(s.crypto_scalarmult_base(bytes(v.device.staticPrivateKey)))).toBe(v.device.staticPublicKey);
    expect(hex(enclave.x25519.publicKey)).toBe(v.enclave.x25519PublicKey);
    expect(hex(enclave.mlkem.publicKey)).toBe(v.enclave.mlkemPublicKey);
    expect(hex(digest)).toBe(v.attestation.keyDigest);
    expect(hex(encodeHandshakeUserData(digest))).toBe(v.attestation.userData);
    expect(hex(parseHandshakeUserData(bytes(v.attestation.userData)).keyDigest)).toBe(v.attestation.keyDigest);
    expect(hex(context.attestationDigest)).toBe(v.context.attestationDigest);
    expect(hex(handshakePrologue(context))).toBe(v.prologue);
    expect(() => parseHandshakeUserData(bytes(v.attestation.refusedUserData))).toThrow(
      expect.objectContaining({ details: { reason: USER_DATA_REASONS.proxyPurpose } }),
    );
  });

  it.each(v.cases.map((c) => [c.description, c] as const))("%s: both sides produce the published bytes", (_d, c) => {
    // Prepare
    const { enclave, device, context, enclaveKeys } = parties();

    // Act
    const initiator = initiateHandshake({
      deviceKey: device,
      enclaveKeys,
      context,
      payload: encode(c.requestUtf8),
      randomness: { ephemeralPrivateKey: bytes(c.deviceEphemeralPrivateKey), kemSeed: bytes(c.kemSeed) },
    });
    const request = readHandshakeRequest({ enclaveKeys: enclave, context, message: bytes(c.message1) });
    const accepted = request.accept({
      authorize: (key) => hex(key) === v.device.staticPublicKey,
      payload: encode(c.answerUtf8),
      randomness: { ephemeralPrivateKey: bytes(c.enclaveEphemeralPrivateKey) },
    });
    const finished = initiator.finish(bytes(c.message2));

    // Assess
    expect(hex(initiator.message)).toBe(c.message1);
    expect(c.message1.slice(2 + 64, 2 + 64 + 2176)).toBe(c.kemCiphertext);
    expect(hex(ml_kem768.decapsulate(bytes(c.kemCiphertext), enclave.mlkem.secretKey))).toBe(c.kemSharedSecret);
    expect(new TextDecoder().decode(request.payload)).toBe(c.requestUtf8);
    expect(hex(accepted.message)).toBe(c.message2);
    expect(new TextDecoder().decode(finished.payload)).toBe(c.answerUtf8);
    expect(hex(finished.session.keys.tx)).toBe(c.sessionKeys.deviceToEnclave);
    expect(hex(finished.session.keys.rx)).toBe(c.sessionKeys.enclaveToDevice);
    expect(hex(accepted.session.keys.rx)).toBe(c.sessionKeys.deviceToEnclave);
    expect(hex(accepted.session.keys.tx)).toBe(c.sessionKeys.enclaveToDevice);
    expect(hex(finished.session.handshakeHash)).toBe(c.handshakeHash);
    expect(finished.session.sessionId).toBe(c.sessionId);
    expect(Buffer.from(c.sessionId, "base64url").toString("hex")).toBe(c.handshakeHash.slice(0, 32));
  });

  it.each(v.cases.map((c) => [c.description, c] as const))("%s: every step of the published trace", async (_d, c) => {
    // Walk the token sequence and compare h and ck after each step.
    const s = await sodiumReady();
    const { device, context, enclaveKeys } = parties();
    const st = SymmetricState.initialize(PROTOCOL_NAME);
    const de = bytes(c.deviceEphemeralPrivateKey);
    const ee = bytes(c.enclaveEphemeralPrivateKey);
    const dePub = s.crypto_scalarmult_base(de);
    const kem = ml_kem768.encapsulate(enclaveKeys.mlkem, bytes(c.kemSeed));
    const steps: (() => void)[] = [
      () => {},
      () => st.mixHash(handshakePrologue(context)),
      () => st.mixHash(enclaveKeys.x25519),
      () => st.mixHash(enclaveKeys.mlkem),
      () => st.mixHash(dePub),
      () => st.mixKey(s.crypto_scalarmult(de, enclaveKeys.x25519)),
      () => st.mixHash(kem.cipherText),
      () => st.mixKey(kem.sharedSecret),
      () => st.encryptAndHash(device.publicKey),
      () => st.mixKey(s.crypto_scalarmult(device.privateKey, enclaveKeys.x25519)),
      () => st.encryptAndHash(encode(c.requestUtf8)),
      () => st.mixHash(s.crypto_scalarmult_base(ee)),
      () => st.mixKey(s.crypto_scalarmult(ee, dePub)),
      () => st.mixKey(s.crypto_scalarmult(ee, device.publicKey)),
      () => st.encryptAndHash(encode(c.answerUtf8)),
    ];

    expect(c.trace).toHaveLength(steps.length);
    steps.forEach((step, i) => {
      step();
      const published = c.trace[i] as { step: string; h: string; ck: string };
      expect({ step: published.step, h: hex(st.handshakeHash()), ck: hex(st.chainingKey()) }).toEqual({
        step: published.step,
        h: published.h,
        ck: published.ck,
      });
    });
    const [k1, k2] = st.split();
    expect([hex(k1), hex(k2)]).toEqual([c.sessionKeys.deviceToEnclave, c.sessionKeys.enclaveToDevice]);
  });

  it.each(v.refusals.map((r) => [r.description, r] as const))("refuses %s", (_d, r) => {
    const { enclave, device, context, enclaveKeys } = parties();
    const c = v.cases[0] as (typeof v.cases)[number];
    const initiator = initiateHandshake({
      deviceKey: device,
      enclaveKeys,
      context,
      payload: encode(c.requestUtf8),
      randomness: { ephemeralPrivateKey: bytes(c.deviceEphemeralPrivateKey), kemSeed: bytes(c.kemSeed) },
    });
    const receive =
      r.message === 1
        ? () => readHandshakeRequest({ enclaveKeys: enclave, context, message: bytes(r.bytes) })
        : () => initiator.finish(bytes(r.bytes));

    expect(codeOf(receive)).toBe(r.error);
    // the genuine message 2 still finishes after a refused one
    if (r.message === 2) expect(initiator.finish(bytes(c.message2)).session.sessionId).toBe(c.sessionId);
  });
});

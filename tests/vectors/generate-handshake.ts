/**
 * Builds tests/vectors/handshake-v1.json (docs/protocol.md §Session handshake) from
 * fixed keys and randomness. Called by generate.ts. Besides the library's own
 * messages it walks the Noise token sequence step by step with the symmetric layer
 * and records `h` and `ck` after each step, so that another implementation can find
 * the first step where it differs; the two paths must agree or generation fails.
 */
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { type Sodium, sodiumReady } from "../../lib/crypto";
import {
  attestationDigest,
  encodeHandshakeUserData,
  generateEnclaveHandshakeKeys,
  type HandshakeContext,
  handshakeKeyDigest,
  handshakePrologue,
  initiateHandshake,
  MAX_PAYLOAD_BYTES,
  PROLOGUE_LABEL,
  PROTOCOL_NAME,
  readHandshakeRequest,
} from "../../lib/handshake";
import { SymmetricState } from "../../lib/handshake/symmetric-state";
import { PROXY_ATTESTATION_PURPOSE } from "../../lib/proxy-protocol";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const run = (n: number, first: number) => new Uint8Array(n).map((_, i) => (first + i) & 0xff);

interface Case {
  description: string;
  deviceEphemeralPrivateKey: Uint8Array;
  kemSeed: Uint8Array;
  enclaveEphemeralPrivateKey: Uint8Array;
  request: string;
  answer: string;
}

/** The vectors as a JSON-ready object. */
export async function handshakeVectors(): Promise<Record<string, unknown>> {
  const s = await sodiumReady();
  const deviceStatic = run(32, 0x10);
  const device = { privateKey: deviceStatic, publicKey: s.crypto_scalarmult_base(deviceStatic) };
  const enclaveSeeds = { x25519PrivateKey: run(32, 0x40), mlkemSeed: run(64, 0x80) };
  const enclave = generateEnclaveHandshakeKeys(enclaveSeeds);
  const enclavePublic = { x25519: enclave.x25519.publicKey, mlkem: enclave.mlkem.publicKey };
  const attestationDocument = new TextEncoder().encode(
    "stand-in for the exact bytes of the COSE_Sign1 attestation document the device verified",
  );
  const context: HandshakeContext = {
    vaultId: "vlt_7Q2W4E6R8T",
    deviceId: "dev_A1B2C3D4",
    attestationDigest: attestationDigest(attestationDocument),
  };
  const keyDigest = handshakeKeyDigest(enclavePublic.x25519, enclavePublic.mlkem);

  const cases: Case[] = [
    {
      description: "a session request and its answer",
      deviceEphemeralPrivateKey: run(32, 0x20),
      kemSeed: run(32, 0x30),
      enclaveEphemeralPrivateKey: run(32, 0x50),
      request: '{"open":"session","nonce":"3q2+7w"}',
      answer: '{"stateVersion":7}',
    },
    {
      description: "empty payloads, other ephemeral keys and ML-KEM randomness (same static keys)",
      deviceEphemeralPrivateKey: run(32, 0x60),
      kemSeed: run(32, 0x70),
      enclaveEphemeralPrivateKey: run(32, 0x90),
      request: "",
      answer: "",
    },
  ];

  const built = cases.map((c) => buildCase(s, c, device, enclave, enclavePublic, context));
  const first = built[0] as ReturnType<typeof buildCase>;

  return {
    description:
      "VettID session handshake v1 (docs/protocol.md §Session handshake): Noise IK with an ML-KEM-768 step, " +
      `${PROTOCOL_NAME}. Pre-message <- s, skem; message 1 -> e, es, kem, s, ss + payload; message 2 <- e, ee, se + ` +
      "payload; Split gives deviceToEnclave (initiator's send key) and enclaveToDevice. sessionId = base64url (no " +
      "padding) of handshakeHash[0..16). All byte strings are hex; X25519 private keys are used as given (X25519 " +
      "clamps them); the ML-KEM key pair comes from FIPS 203 ML-KEM.KeyGen_internal(d, z) with seed = d || z.",
    protocolName: PROTOCOL_NAME,
    prologueLabel: PROLOGUE_LABEL,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    device: { staticPrivateKey: hex(device.privateKey), staticPublicKey: hex(device.publicKey) },
    enclave: {
      x25519PrivateKey: hex(enclave.x25519.privateKey),
      x25519PublicKey: hex(enclave.x25519.publicKey),
      mlkemSeed: hex(enclaveSeeds.mlkemSeed),
      mlkemPublicKey: hex(enclave.mlkem.publicKey),
    },
    attestation: {
      keyDigest: hex(keyDigest),
      userData: hex(encodeHandshakeUserData(keyDigest)),
      refusedUserData: hex(new TextEncoder().encode(PROXY_ATTESTATION_PURPOSE)),
    },
    context: {
      vaultId: context.vaultId,
      deviceId: context.deviceId,
      attestationDocument: hex(attestationDocument),
      attestationDigest: hex(context.attestationDigest),
    },
    prologue: hex(handshakePrologue(context)),
    cases: built.map((b) => b.vector),
    refusals: refusals(first.message1, first.message2),
  };
}

function buildCase(
  s: Sodium,
  c: Case,
  device: { privateKey: Uint8Array; publicKey: Uint8Array },
  enclave: ReturnType<typeof generateEnclaveHandshakeKeys>,
  enclavePublic: { x25519: Uint8Array; mlkem: Uint8Array },
  context: HandshakeContext,
) {
  const request = new TextEncoder().encode(c.request);
  const answer = new TextEncoder().encode(c.answer);

  // The library, both sides.
  const initiator = initiateHandshake({
    deviceKey: device,
    enclaveKeys: enclavePublic,
    context,
    payload: request,
    randomness: { ephemeralPrivateKey: c.deviceEphemeralPrivateKey, kemSeed: c.kemSeed },
  });
  const incoming = readHandshakeRequest({ enclaveKeys: enclave, context, message: initiator.message });
  const accepted = incoming.accept({
    authorize: () => true,
    payload: answer,
    randomness: { ephemeralPrivateKey: c.enclaveEphemeralPrivateKey },
  });
  const finished = initiator.finish(accepted.message);

  // The same handshake, token by token.
  const trace: Record<string, string>[] = [];
  const st = SymmetricState.initialize(PROTOCOL_NAME);
  const step = (token: string, extra: Record<string, string> = {}) =>
    trace.push({ step: token, ...extra, h: hex(st.handshakeHash()), ck: hex(st.chainingKey()) });
  step("InitializeSymmetric(protocol_name)");
  st.mixHash(handshakePrologue(context));
  step("MixHash(prologue)");
  st.mixHash(enclavePublic.x25519);
  step("pre-message s: MixHash(enclave X25519 public key)");
  st.mixHash(enclavePublic.mlkem);
  step("pre-message skem: MixHash(enclave ML-KEM public key)");
  const de = s.crypto_scalarmult_base(c.deviceEphemeralPrivateKey);
  st.mixHash(de);
  step("-> e: MixHash(device ephemeral public key)", { e: hex(de) });
  const es = s.crypto_scalarmult(c.deviceEphemeralPrivateKey, enclavePublic.x25519);
  st.mixKey(es);
  step("es: MixKey(DH(device e, enclave s))", { dh: hex(es) });
  const kem = ml_kem768.encapsulate(enclavePublic.mlkem, c.kemSeed);
  st.mixHash(kem.cipherText);
  step("kem: MixHash(ML-KEM ciphertext)");
  st.mixKey(kem.sharedSecret);
  step("kem: MixKey(ML-KEM shared secret)", { sharedSecret: hex(kem.sharedSecret) });
  const encryptedStatic = st.encryptAndHash(device.publicKey);
  step("s: EncryptAndHash(device static public key)", { ciphertext: hex(encryptedStatic) });
  const ss = s.crypto_scalarmult(device.privateKey, enclavePublic.x25519);
  st.mixKey(ss);
  step("ss: MixKey(DH(device s, enclave s))", { dh: hex(ss) });
  const encryptedRequest = st.encryptAndHash(request);
  step("EncryptAndHash(payload 1)", { ciphertext: hex(encryptedRequest) });
  const ee = s.crypto_scalarmult_base(c.enclaveEphemeralPrivateKey);
  st.mixHash(ee);
  step("<- e: MixHash(enclave ephemeral public key)", { e: hex(ee) });
  const eeDh = s.crypto_scalarmult(c.enclaveEphemeralPrivateKey, de);
  st.mixKey(eeDh);
  step("ee: MixKey(DH(enclave e, device e))", { dh: hex(eeDh) });
  const seDh = s.crypto_scalarmult(c.enclaveEphemeralPrivateKey, device.publicKey);
  st.mixKey(seDh);
  step("se: MixKey(DH(enclave e, device s))", { dh: hex(seDh) });
  const encryptedAnswer = st.encryptAndHash(answer);
  step("EncryptAndHash(payload 2)", { ciphertext: hex(encryptedAnswer) });
  const [k1, k2] = st.split();

  const message1 = new Uint8Array(
    Buffer.concat([Uint8Array.of(1), de, kem.cipherText, encryptedStatic, encryptedRequest]),
  );
  const message2 = new Uint8Array(Buffer.concat([Uint8Array.of(1), ee, encryptedAnswer]));
  const agree =
    hex(message1) === hex(initiator.message) &&
    hex(message2) === hex(accepted.message) &&
    hex(k1) === hex(finished.session.keys.tx) &&
    hex(k2) === hex(finished.session.keys.rx) &&
    hex(k1) === hex(accepted.session.keys.rx) &&
    hex(st.handshakeHash()) === hex(finished.session.handshakeHash);
  if (!agree) throw new Error(`handshake vector "${c.description}": the library and the token walk disagree`);

  return {
    message1,
    message2,
    vector: {
      description: c.description,
      deviceEphemeralPrivateKey: hex(c.deviceEphemeralPrivateKey),
      kemSeed: hex(c.kemSeed),
      enclaveEphemeralPrivateKey: hex(c.enclaveEphemeralPrivateKey),
      requestUtf8: c.request,
      answerUtf8: c.answer,
      kemCiphertext: hex(kem.cipherText),
      kemSharedSecret: hex(kem.sharedSecret),
      message1: hex(message1),
      message2: hex(message2),
      handshakeHash: hex(finished.session.handshakeHash),
      sessionId: finished.session.sessionId,
      sessionKeys: { deviceToEnclave: hex(k1), enclaveToDevice: hex(k2) },
      trace,
    },
  };
}

/** Messages a receiver must refuse, and the code it raises (the tests check the reference code raises it). */
function refusals(message1: Uint8Array, message2: Uint8Array) {
  const flip = (m: Uint8Array, at: number) => {
    const c = new Uint8Array(m);
    c[at] = (c[at] as number) ^ 0x01;
    return c;
  };
  const version2 = new Uint8Array(message1);
  version2[0] = 2;
  const malformed = "HANDSHAKE_MALFORMED";
  const failed = "HANDSHAKE_FAILED";
  return [
    { description: "message 1 of case 0 with version byte 0x02", message: 1, error: malformed, bytes: version2 },
    {
      description: "message 1 of case 0 without its ML-KEM ciphertext (bytes 33..1121 removed)",
      message: 1,
      error: malformed,
      bytes: Buffer.concat([message1.subarray(0, 33), message1.subarray(1121)]),
    },
    {
      description: "message 1 of case 0, one bit of the ML-KEM ciphertext flipped (byte 500)",
      message: 1,
      error: failed,
      bytes: flip(message1, 500),
    },
    {
      description: "message 1 of case 0, one bit of the encrypted static key flipped (byte 1121)",
      message: 1,
      error: failed,
      bytes: flip(message1, 1121),
    },
    {
      description: "message 2 of case 0, one bit of the last byte (the tag) flipped",
      message: 2,
      error: failed,
      bytes: flip(message2, message2.length - 1),
    },
    {
      description: "message 2 of case 0, truncated to 48 bytes",
      message: 2,
      error: malformed,
      bytes: message2.subarray(0, 48),
    },
  ].map((r) => ({ ...r, bytes: hex(r.bytes) }));
}

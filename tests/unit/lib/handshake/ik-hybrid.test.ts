import { sodiumReady } from "../../../../lib/crypto";
import { SealedChannel } from "../../../../lib/envelope";
import {
  attestationDigest,
  deviceKeyIn,
  initiateHandshake,
  MAX_MESSAGE1_BYTES,
  MAX_MESSAGE2_BYTES,
  MAX_PAYLOAD_BYTES,
  MESSAGE1_FIXED_BYTES,
  readHandshakeRequest,
} from "../../../../lib/handshake";
import { SymmetricState } from "../../../../lib/handshake/symmetric-state";
import { codeOf, context, deviceKeyPair, enclave, encode, handshake, hex } from "./helpers";

beforeAll(() => sodiumReady());

const KEM_OFFSET = 33;
const KEM_BYTES = 1088;

describe("session handshake: a full run", () => {
  it("gives both sides matching keys, session id and each other's payload", () => {
    // Prepare / Act
    const { initiator, request, accepted, device } = handshake({
      request: encode("hello enclave"),
      answer: encode("hello device"),
    });
    const finished = initiator.finish(accepted.message);

    // Assess
    expect(new TextDecoder().decode(request.payload)).toBe("hello enclave");
    expect(new TextDecoder().decode(finished.payload)).toBe("hello device");
    expect(hex(request.deviceKey)).toBe(hex(device.publicKey));
    expect(hex(finished.session.keys.tx)).toBe(hex(accepted.session.keys.rx));
    expect(hex(finished.session.keys.rx)).toBe(hex(accepted.session.keys.tx));
    expect(hex(finished.session.keys.tx)).not.toBe(hex(finished.session.keys.rx));
    expect(finished.session.keys.tx).toHaveLength(32);
    expect(finished.session.sessionId).toBe(accepted.session.sessionId);
    expect(finished.session.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(hex(finished.session.handshakeHash)).toBe(hex(accepted.session.handshakeHash));
    expect(finished.session.context).toEqual({
      vaultId: "vlt_7Q2W4E6R8T",
      deviceId: "dev_A1B2C3D4",
      sessionId: finished.session.sessionId,
    });
  });

  it("names the session by the first 16 bytes of the final handshake hash", () => {
    const { initiator, accepted } = handshake();
    const { session } = initiator.finish(accepted.message);

    expect(Buffer.from(session.sessionId, "base64url").toString("hex")).toBe(
      hex(session.handshakeHash.subarray(0, 16)),
    );
    expect(session.handshakeHash).toHaveLength(64);
  });

  it("opens sealed envelopes in both directions with the handshake's keys", () => {
    // Prepare
    const { initiator, accepted } = handshake();
    const { session } = initiator.finish(accepted.message);
    const device = new SealedChannel({ role: "device", keys: session.keys, context: session.context });
    const vault = new SealedChannel({
      role: "enclave",
      keys: accepted.session.keys,
      context: accepted.session.context,
    });

    // Act
    const { envelope, pending } = device.seal("items.get", encode("name"));
    const opened = vault.open(envelope);
    const answer = device.openAnswer(vault.sealAnswer(opened, "items.get", encode("value")), pending);

    // Assess
    expect(opened.op).toBe("items.get");
    expect(new TextDecoder().decode(opened.plaintext)).toBe("name");
    expect(new TextDecoder().decode(answer.plaintext)).toBe("value");
  });

  it("gives a second handshake between the same statics other keys and another session id", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const first = handshake({ device, enclave: enc });
    const second = handshake({ device, enclave: enc });
    const a = first.initiator.finish(first.accepted.message).session;
    const b = second.initiator.finish(second.accepted.message).session;

    expect(hex(a.keys.tx)).not.toBe(hex(b.keys.tx));
    expect(hex(a.keys.rx)).not.toBe(hex(b.keys.rx));
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(hex(first.message1.subarray(1, 33))).not.toBe(hex(second.message1.subarray(1, 33)));
    expect(hex(first.accepted.message.subarray(1, 33))).not.toBe(hex(second.accepted.message.subarray(1, 33)));
  });

  it("lays message 1 and message 2 out at their documented sizes", () => {
    const { message1, accepted } = handshake({ request: new Uint8Array(10), answer: new Uint8Array(7) });

    expect(message1).toHaveLength(1 + 32 + 1088 + 48 + 10 + 16);
    expect(message1[0]).toBe(1);
    expect(accepted.message).toHaveLength(1 + 32 + 7 + 16);
    expect(accepted.message[0]).toBe(1);
  });
});

describe("session handshake: tampering", () => {
  it("fails on a one-bit change in any byte of message 1", () => {
    const { enclave: enc, context: ctx, message1 } = handshake();
    const codes = new Set<string>();
    for (let i = 0; i < message1.length; i++) {
      const changed = message1.slice();
      changed[i] = (changed[i] as number) ^ (1 << (i % 8));
      codes.add(codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: changed })));
    }

    expect([...codes].sort()).toEqual(["HANDSHAKE_FAILED", "HANDSHAKE_MALFORMED"]);
  });

  it("fails on a one-bit change in any bit of message 2, and the genuine message 2 still finishes", () => {
    const { initiator, accepted } = handshake();
    for (let i = 0; i < accepted.message.length * 8; i++) {
      const changed = accepted.message.slice();
      changed[i >> 3] = (changed[i >> 3] as number) ^ (1 << (i % 8));
      expect(codeOf(() => initiator.finish(changed))).toMatch(/^HANDSHAKE_(FAILED|MALFORMED)$/);
    }

    const { session } = initiator.finish(accepted.message);
    expect(hex(session.keys.tx)).toBe(hex(accepted.session.keys.rx));
  });

  it("refuses every truncation and an appended byte of either message", () => {
    const { initiator, accepted, enclave: enc, context: ctx, message1 } = handshake();
    const read = (message: Uint8Array) => () => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message });
    for (const cut of [0, 1, 33, 1121, 1169, message1.length - 1]) {
      expect(codeOf(read(message1.subarray(0, cut)))).toMatch(/^HANDSHAKE_(FAILED|MALFORMED)$/);
    }
    expect(codeOf(read(Buffer.concat([message1, Uint8Array.of(0)])))).toBe("HANDSHAKE_FAILED");
    for (let cut = 0; cut < accepted.message.length; cut++) {
      expect(codeOf(() => initiator.finish(accepted.message.subarray(0, cut)))).toMatch(/^HANDSHAKE_/);
    }
    expect(codeOf(() => initiator.finish(Buffer.concat([accepted.message, Uint8Array.of(0)])))).toBe(
      "HANDSHAKE_FAILED",
    );
  });

  it("fails when the ML-KEM ciphertext is swapped for the one of another handshake", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const ctx = context();
    const start = () =>
      initiateHandshake({ deviceKey: device, enclaveKeys: enc.publicKeys, context: ctx, payload: encode("x") });
    const a = start().message;
    const b = start().message;
    const spliced = a.slice();
    spliced.set(b.subarray(KEM_OFFSET, KEM_OFFSET + KEM_BYTES), KEM_OFFSET);

    expect(codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: spliced }))).toBe(
      "HANDSHAKE_FAILED",
    );
  });

  it("refuses a message 1 without the ML-KEM part (a downgrade), whatever the payload size", () => {
    for (const size of [0, 16, 2048]) {
      const { enclave: enc, context: ctx, message1 } = handshake({ request: new Uint8Array(size) });
      const withoutKem = Buffer.concat([message1.subarray(0, KEM_OFFSET), message1.subarray(KEM_OFFSET + KEM_BYTES)]);

      const code = codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: withoutKem }));
      expect(code).toBe(size + 16 + 48 + 33 < MESSAGE1_FIXED_BYTES ? "HANDSHAKE_MALFORMED" : "HANDSHAKE_FAILED");
    }
  });

  it("refuses a plain Noise IK message 1 (no hybrid step), framed as version 1 or not", async () => {
    // Prepare: what a classical-only peer would send: Noise_IK_25519_ChaChaPoly_BLAKE2b, same prologue
    const s = await sodiumReady();
    const { enclave: enc, context: ctx, device } = handshake();
    const e = s.crypto_kx_keypair();
    const st = SymmetricState.initialize("Noise_IK_25519_ChaChaPoly_BLAKE2b");
    st.mixHash(enc.publicKeys.x25519);
    st.mixHash(e.publicKey);
    st.mixKey(s.crypto_scalarmult(e.privateKey, enc.publicKeys.x25519));
    const encS = st.encryptAndHash(device.publicKey);
    st.mixKey(s.crypto_scalarmult(device.privateKey, enc.publicKeys.x25519));
    const plain = Buffer.concat([e.publicKey, encS, st.encryptAndHash(new Uint8Array(1200))]);

    // Act / Assess
    const read = (message: Uint8Array) => () => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message });
    expect(codeOf(read(plain))).toMatch(/^HANDSHAKE_(FAILED|MALFORMED)$/);
    expect(codeOf(read(Buffer.concat([Uint8Array.of(1), plain])))).toBe("HANDSHAKE_FAILED");
  });

  it.each([
    ["00", 0x00],
    ["02", 0x02],
    ["ff", 0xff],
  ])("refuses version byte 0x%s in either message before any crypto", (_label, version) => {
    const { initiator, accepted, enclave: enc, context: ctx, message1 } = handshake();
    const m1 = message1.slice();
    m1[0] = version;
    const m2 = accepted.message.slice();
    m2[0] = version;

    expect(codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: m1 }))).toBe(
      "HANDSHAKE_MALFORMED",
    );
    expect(codeOf(() => initiator.finish(m2))).toBe("HANDSHAKE_MALFORMED");
  });

  it("fails a message 2 made for another handshake, then finishes each with its own", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const a = handshake({ device, enclave: enc });
    const b = handshake({ device, enclave: enc });

    expect(codeOf(() => a.initiator.finish(b.accepted.message))).toBe("HANDSHAKE_FAILED");
    expect(codeOf(() => b.initiator.finish(a.accepted.message))).toBe("HANDSHAKE_FAILED");
    expect(a.initiator.finish(a.accepted.message).session.sessionId).toBe(a.accepted.session.sessionId);
    expect(b.initiator.finish(b.accepted.message).session.sessionId).toBe(b.accepted.session.sessionId);
  });

  it("fails a message with a low-order (all-zero) ephemeral key", () => {
    const { initiator, accepted, enclave: enc, context: ctx, message1 } = handshake();
    const m1 = message1.slice();
    m1.fill(0, 1, 33);
    const m2 = accepted.message.slice();
    m2.fill(0, 1, 33);

    expect(codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: m1 }))).toBe(
      "HANDSHAKE_FAILED",
    );
    expect(codeOf(() => initiator.finish(m2))).toBe("HANDSHAKE_FAILED");
  });
});

describe("session handshake: replayed message 1", () => {
  it("answers a replay with keys only the real device could derive, and the device refuses that answer", () => {
    // Prepare: a genuine handshake, finished
    const run = handshake();
    const genuine = run.initiator.finish(run.accepted.message).session;

    // Act: the host replays message 1; the enclave cannot tell and answers it
    const replayed = readHandshakeRequest({
      enclaveKeys: run.enclave.keys,
      context: run.context,
      message: run.message1,
    });
    const answer = replayed.accept({ authorize: () => true, payload: encode("second answer") });

    // Assess: another session (fresh enclave ephemeral) ...
    expect(hex(answer.session.keys.rx)).not.toBe(hex(genuine.keys.tx));
    expect(answer.session.sessionId).not.toBe(genuine.sessionId);
    // ... that the device, having finished, refuses ...
    expect(codeOf(() => run.initiator.finish(answer.message))).toBe("HANDSHAKE_FAILED");
    // ... that nobody without the device ephemeral's private key can finish, even with the device's static key ...
    const other = initiateHandshake({
      deviceKey: run.device,
      enclaveKeys: run.enclave.publicKeys,
      context: run.context,
      payload: encode("open session"),
    });
    expect(codeOf(() => other.finish(answer.message))).toBe("HANDSHAKE_FAILED");
    // ... and whose keys open nothing of the genuine session.
    const device = new SealedChannel({ role: "device", keys: genuine.keys, context: genuine.context });
    const replaySide = new SealedChannel({
      role: "enclave",
      keys: answer.session.keys,
      context: answer.session.context,
    });
    expect(codeOf(() => replaySide.open(device.seal("vault.unlock", encode("1234")).envelope))).toBe(
      "ENVELOPE_AUTH_FAILED",
    );
  });
});

describe("session handshake: binding to vault, device, attestation and keys", () => {
  it.each([
    ["another vault", () => ({ vaultId: "vlt_OTHER" })],
    ["another device", () => ({ deviceId: "dev_OTHER" })],
    ["another attestation document", () => ({ attestationDigest: attestationDigest(encode("another document")) })],
  ])("fails when the enclave reads message 1 for %s", (_what, change) => {
    const { enclave: enc, message1 } = handshake();

    expect(
      codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: context(change()), message: message1 })),
    ).toBe("HANDSHAKE_FAILED");
  });

  it("refuses an unknown device key before any reply exists, and the request stays refused", () => {
    // Prepare
    const { enclave: enc, context: ctx } = handshake();
    const stranger = deviceKeyPair();
    const known = deviceKeyPair();
    const message = initiateHandshake({
      deviceKey: stranger,
      enclaveKeys: enc.publicKeys,
      context: ctx,
      payload: encode("let me in"),
    }).message;
    const request = readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message });
    let result: unknown;

    // Act
    const code = codeOf(() => {
      result = request.accept({ authorize: deviceKeyIn([known.publicKey]), payload: encode("welcome") });
    });

    // Assess
    expect(hex(request.deviceKey)).toBe(hex(stranger.publicKey));
    expect(code).toBe("FORBIDDEN");
    expect(result).toBeUndefined();
    expect(codeOf(() => request.accept({ authorize: () => true, payload: encode("welcome") }))).toBe(
      "HANDSHAKE_FAILED",
    );
  });

  it("refuses in message 2: only the device that sent message 1 reads the refusal, and the request is spent", () => {
    // Prepare: a device's authentic message 1, and another device that tries to read the answer
    const { enclave: enc, context: ctx } = handshake();
    const device = deviceKeyPair();
    const started = initiateHandshake({
      deviceKey: device,
      enclaveKeys: enc.publicKeys,
      context: ctx,
      payload: encode("hi"),
    });
    const request = readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: started.message });
    const other = initiateHandshake({
      deviceKey: deviceKeyPair(),
      enclaveKeys: enc.publicKeys,
      context: ctx,
      payload: encode("hi"),
    });

    // Act
    const { message } = request.refuse({ payload: encode("refused: FORBIDDEN") });
    const flipped = new Uint8Array(message);
    flipped[message.length - 1] = (flipped[message.length - 1] as number) ^ 1;

    // Assess: a change to it fails, another handshake cannot read it, the device reads its payload
    expect(codeOf(() => started.finish(flipped))).toBe("HANDSHAKE_FAILED");
    expect(codeOf(() => other.finish(message))).toBe("HANDSHAKE_FAILED");
    expect(new TextDecoder().decode(started.finish(message).payload)).toBe("refused: FORBIDDEN");
    expect(codeOf(() => request.refuse({ payload: encode("again") }))).toBe("HANDSHAKE_FAILED");
    expect(codeOf(() => request.accept({ authorize: () => true, payload: encode("welcome") }))).toBe(
      "HANDSHAKE_FAILED",
    );
  });

  it("accepts only an authorize result of exactly true, and fails closed when authorize throws", () => {
    const { enclave: enc, context: ctx, device } = handshake();
    const fresh = () =>
      readHandshakeRequest({
        enclaveKeys: enc.keys,
        context: ctx,
        message: initiateHandshake({
          deviceKey: device,
          enclaveKeys: enc.publicKeys,
          context: ctx,
          payload: new Uint8Array(0),
        }).message,
      });
    const truthy = (() => 1) as unknown as () => boolean;

    expect(codeOf(() => fresh().accept({ authorize: truthy, payload: new Uint8Array(0) }))).toBe("FORBIDDEN");
    const request = fresh();
    expect(() =>
      request.accept({
        authorize: () => {
          throw new Error("state not loaded");
        },
        payload: new Uint8Array(0),
      }),
    ).toThrow("state not loaded");
    expect(codeOf(() => request.accept({ authorize: () => true, payload: new Uint8Array(0) }))).toBe(
      "HANDSHAKE_FAILED",
    );
  });

  it("matches device keys in deviceKeyIn by value", () => {
    const a = deviceKeyPair().publicKey;
    const b = deviceKeyPair().publicKey;
    const authorize = deviceKeyIn([a]);

    expect(authorize(a.slice())).toBe(true);
    expect(authorize(b)).toBe(false);
    expect(authorize(a.subarray(0, 31))).toBe(false);
    expect(deviceKeyIn([])(a)).toBe(false);
  });

  it("fails when the host swapped the enclave's keys: both, only X25519, or only ML-KEM", () => {
    const { enclave: real, context: ctx, device } = handshake();
    const host = enclave();
    const swaps = [
      host.publicKeys,
      { x25519: host.publicKeys.x25519, mlkem: real.publicKeys.mlkem },
      { x25519: real.publicKeys.x25519, mlkem: host.publicKeys.mlkem },
    ];
    for (const enclaveKeys of swaps) {
      const { message } = initiateHandshake({ deviceKey: device, enclaveKeys, context: ctx, payload: encode("x") });
      expect(codeOf(() => readHandshakeRequest({ enclaveKeys: real.keys, context: ctx, message }))).toBe(
        "HANDSHAKE_FAILED",
      );
    }
  });

  it("fails when a device's static key pair does not match the key it claims", () => {
    const { enclave: enc, context: ctx, device } = handshake();
    const impostor = { publicKey: device.publicKey, privateKey: deviceKeyPair().privateKey };
    const { message } = initiateHandshake({
      deviceKey: impostor,
      enclaveKeys: enc.publicKeys,
      context: ctx,
      payload: encode("x"),
    });

    expect(codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message }))).toBe(
      "HANDSHAKE_FAILED",
    );
  });
});

describe("session handshake: limits and options", () => {
  it("carries payloads up to the documented maximum and refuses larger ones when sending", () => {
    const big = new Uint8Array(MAX_PAYLOAD_BYTES).fill(7);
    const { initiator, accepted, request, message1 } = handshake({ request: big, answer: big });

    expect(message1).toHaveLength(MAX_MESSAGE1_BYTES);
    expect(accepted.message).toHaveLength(MAX_MESSAGE2_BYTES);
    expect(request.payload).toEqual(big);
    expect(initiator.finish(accepted.message).payload).toEqual(big);
    expect(codeOf(() => handshake({ request: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }))).toBe("PAYLOAD_TOO_LARGE");
    expect(codeOf(() => handshake({ answer: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }))).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses messages above the maximum length before any crypto", () => {
    const { initiator, enclave: enc, context: ctx } = handshake();
    const m1 = new Uint8Array(MAX_MESSAGE1_BYTES + 1);
    m1[0] = 1;
    const m2 = new Uint8Array(MAX_MESSAGE2_BYTES + 1);
    m2[0] = 1;

    expect(codeOf(() => readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: m1 }))).toBe(
      "HANDSHAKE_MALFORMED",
    );
    expect(codeOf(() => initiator.finish(m2))).toBe("HANDSHAKE_MALFORMED");
  });

  it("refuses unknown options and wrongly sized keys", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const base = { deviceKey: device, enclaveKeys: enc.publicKeys, context: context(), payload: new Uint8Array(0) };
    const start = (options: unknown) => () => initiateHandshake(options as Parameters<typeof initiateHandshake>[0]);

    expect(codeOf(start({ ...base, extra: 1 }))).toBe("VALIDATION_FAILED");
    expect(codeOf(start({ ...base, randomness: { ephemeral: new Uint8Array(32) } }))).toBe("VALIDATION_FAILED");
    expect(codeOf(start({ ...base, randomness: { kemSeed: new Uint8Array(31) } }))).toBe("VALIDATION_FAILED");
    expect(codeOf(start({ ...base, deviceKey: { ...device, privateKey: new Uint8Array(31) } }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(codeOf(start({ ...base, enclaveKeys: { ...enc.publicKeys, mlkem: new Uint8Array(1183) } }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(codeOf(start({ ...base, context: { ...context(), vaultId: "" } }))).toBe("VALIDATION_FAILED");
    expect(codeOf(start({ ...base, context: { ...context(), attestationDigest: new Uint8Array(16) } }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(codeOf(start({ ...base, payload: "text" }))).toBe("VALIDATION_FAILED");
    expect(
      codeOf(() =>
        readHandshakeRequest({
          enclaveKeys: { ...enc.keys, mlkem: { ...enc.keys.mlkem, secretKey: new Uint8Array(10) } },
          context: context(),
          message: new Uint8Array(0),
        }),
      ),
    ).toBe("VALIDATION_FAILED");
  });

  it("fails to start towards an enclave key that is not a valid public key", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const start = (enclaveKeys: { x25519: Uint8Array; mlkem: Uint8Array }) => () =>
      initiateHandshake({ deviceKey: device, enclaveKeys, context: context(), payload: new Uint8Array(0) });

    expect(codeOf(start({ x25519: new Uint8Array(32), mlkem: enc.publicKeys.mlkem }))).toBe("HANDSHAKE_FAILED");
    expect(codeOf(start({ x25519: enc.publicKeys.x25519, mlkem: new Uint8Array(1184).fill(0xff) }))).toBe(
      "HANDSHAKE_FAILED",
    );
  });

  it("leaves the caller's keys and fixed randomness as they were", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const privateBefore = hex(device.privateKey);
    const ephemeralPrivateKey = new Uint8Array(32).fill(5);
    const kemSeed = new Uint8Array(32).fill(6);
    const initiator = initiateHandshake({
      deviceKey: device,
      enclaveKeys: enc.publicKeys,
      context: context(),
      payload: new Uint8Array(0),
      randomness: { ephemeralPrivateKey, kemSeed },
    });
    const request = readHandshakeRequest({ enclaveKeys: enc.keys, context: context(), message: initiator.message });
    const { message } = request.accept({ authorize: () => true, payload: new Uint8Array(0) });
    initiator.finish(message);

    expect(hex(device.privateKey)).toBe(privateBefore);
    expect(hex(ephemeralPrivateKey)).toBe("05".repeat(32));
    expect(hex(kemSeed)).toBe("06".repeat(32));
    expect(initiator.done).toBe(true);
  });

  it("copies out of Buffers: wiping its state never touches a caller's Buffer", () => {
    // Prepare: keys and messages as node Buffers (Buffer#slice is a view, not a copy)
    const raw = deviceKeyPair();
    const device = { publicKey: Buffer.from(raw.publicKey), privateKey: Buffer.from(raw.privateKey) };
    const enc = enclave();
    const ephemeralPrivateKey = Buffer.alloc(32, 9);
    const initiator = initiateHandshake({
      deviceKey: device,
      enclaveKeys: enc.publicKeys,
      context: context(),
      payload: Buffer.from("x"),
      randomness: { ephemeralPrivateKey },
    });
    const message1 = Buffer.from(initiator.message);
    const request = readHandshakeRequest({ enclaveKeys: enc.keys, context: context(), message: message1 });
    const { message } = request.accept({ authorize: () => true, payload: new Uint8Array(0) });
    const message2 = Buffer.from(message);

    // Act
    initiator.finish(message2);
    message1.fill(0);

    // Assess
    expect(hex(device.privateKey)).toBe(hex(raw.privateKey));
    expect(hex(ephemeralPrivateKey)).toBe("09".repeat(32));
    expect(hex(message2)).toBe(hex(message));
    expect(hex(request.deviceKey)).toBe(hex(raw.publicKey));
  });

  it("refuses any message 2 after the device abandoned the handshake", () => {
    const { initiator, accepted } = handshake();
    initiator.abandon();

    expect(initiator.done).toBe(true);
    expect(codeOf(() => initiator.finish(accepted.message))).toBe("HANDSHAKE_FAILED");
  });

  it("refuses bad accept options without using up the request", () => {
    const { enclave: enc, context: ctx, device } = handshake();
    const { message } = initiateHandshake({
      deviceKey: device,
      enclaveKeys: enc.publicKeys,
      context: ctx,
      payload: new Uint8Array(0),
    });
    const request = readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message });
    const accept = (options: unknown) => () => request.accept(options as Parameters<typeof request.accept>[0]);
    const ok = { authorize: () => true, payload: new Uint8Array(0) };

    expect(codeOf(accept({ ...ok, randomness: { ephemeralPrivateKey: new Uint8Array(31) } }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(codeOf(accept({ ...ok, payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }))).toBe("PAYLOAD_TOO_LARGE");
    expect(codeOf(accept({ ...ok, authorize: true }))).toBe("VALIDATION_FAILED");
    expect(codeOf(accept({ ...ok, extra: 1 }))).toBe("VALIDATION_FAILED");
    request.deviceKey.fill(0);
    expect(request.accept(ok).session.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("discards a request on the enclave side without answering it", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const { message } = initiateHandshake({
      deviceKey: device,
      enclaveKeys: enc.publicKeys,
      context: context(),
      payload: new Uint8Array(0),
    });
    const request = readHandshakeRequest({ enclaveKeys: enc.keys, context: context(), message });
    request.discard();

    expect(codeOf(() => request.accept({ authorize: () => true, payload: new Uint8Array(0) }))).toBe(
      "HANDSHAKE_FAILED",
    );
  });
});

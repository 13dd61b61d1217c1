/** Keys, contexts and a full run of the session handshake, shared by the handshake tests. */
import { sodium } from "../../../../lib/crypto";
import {
  attestationDigest,
  type EnclaveHandshakeKeys,
  generateEnclaveHandshakeKeys,
  type HandshakeContext,
  initiateHandshake,
  readHandshakeRequest,
  type X25519KeyPair,
} from "../../../../lib/handshake";

export const encode = (text: string) => new TextEncoder().encode(text);
export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A device's registered static X25519 key pair. */
export function deviceKeyPair(): X25519KeyPair {
  const kp = sodium().crypto_kx_keypair();
  return { publicKey: kp.publicKey, privateKey: kp.privateKey };
}

/** An enclave (its per-boot keys) and the attestation document it gave a device. */
export function enclave(): { keys: EnclaveHandshakeKeys; publicKeys: { x25519: Uint8Array; mlkem: Uint8Array } } {
  const keys = generateEnclaveHandshakeKeys();
  return { keys, publicKeys: { x25519: keys.x25519.publicKey, mlkem: keys.mlkem.publicKey } };
}

export function context(overrides: Partial<HandshakeContext> = {}): HandshakeContext {
  return {
    vaultId: "vlt_7Q2W4E6R8T",
    deviceId: "dev_A1B2C3D4",
    attestationDigest: attestationDigest(encode("the attestation document the device verified")),
    ...overrides,
  };
}

/** One whole handshake between a fresh device and enclave (or the given ones). */
export function handshake(
  parties: {
    device?: X25519KeyPair;
    enclave?: ReturnType<typeof enclave>;
    context?: HandshakeContext;
    request?: Uint8Array;
    answer?: Uint8Array;
  } = {},
) {
  const device = parties.device ?? deviceKeyPair();
  const enc = parties.enclave ?? enclave();
  const ctx = parties.context ?? context();
  const initiator = initiateHandshake({
    deviceKey: device,
    enclaveKeys: enc.publicKeys,
    context: ctx,
    payload: parties.request ?? encode("open session"),
  });
  const request = readHandshakeRequest({ enclaveKeys: enc.keys, context: ctx, message: initiator.message });
  const accepted = request.accept({
    authorize: (key) => sodium().memcmp(key, device.publicKey),
    payload: parties.answer ?? encode("session open"),
  });
  return { device, enclave: enc, context: ctx, initiator, request, accepted, message1: initiator.message };
}

/** The error code `fn` threw (fails the test when it throws nothing or an untyped error). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "string") throw err;
    return code;
  }
  throw new Error("expected a typed error, but nothing was thrown");
}

import type { EnvelopeContext, SessionKeys } from "../envelope";

/** An X25519 key pair: raw 32-byte keys (libsodium `crypto_kx` / `crypto_box` keys, or node:crypto raw keys). */
export interface X25519KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/**
 * The enclave's static handshake keys, made once per boot inside the enclave
 * ({@link generateEnclaveHandshakeKeys}). Their digest is in the `user_data` of every
 * attestation document the enclave gives a device.
 */
export interface EnclaveHandshakeKeys {
  x25519: X25519KeyPair;
  mlkem: {
    /** ML-KEM-768 encapsulation key, 1184 bytes. */
    publicKey: Uint8Array;
    /** ML-KEM-768 decapsulation key, 2400 bytes. */
    secretKey: Uint8Array;
  };
}

/** The public half of {@link EnclaveHandshakeKeys}: what a device receives beside the attestation document. */
export interface EnclaveHandshakePublicKeys {
  /** X25519, 32 bytes. */
  x25519: Uint8Array;
  /** ML-KEM-768 encapsulation key, 1184 bytes. */
  mlkem: Uint8Array;
}

/**
 * What the prologue binds: a handshake made for one vault, device and attestation
 * document fails for any other.
 */
export interface HandshakeContext {
  /** The vault id (UTF-8, 1..128 bytes). */
  vaultId: string;
  /** The device id the edge assigned at enrollment (UTF-8, 1..128 bytes). */
  deviceId: string;
  /**
   * SHA-256 of the exact bytes of the attestation document the device verified
   * ({@link attestationDigest}). The enclave passes the digest of the document it gave
   * that device.
   */
  attestationDigest: Uint8Array;
}

/** An established session: the keys and context for `SealedChannel` (lib/envelope). */
export interface HandshakeSession {
  /** Directional keys: the device's `tx` is the enclave's `rx`, and the reverse. */
  keys: SessionKeys;
  /** base64url (no padding) of the first 16 bytes of the final handshake hash: 22 characters. */
  sessionId: string;
  /** The envelope context `{vaultId, deviceId, sessionId}` of this session. */
  context: EnvelopeContext;
  /** The final Noise handshake hash `h` (64 bytes), for channel binding. */
  handshakeHash: Uint8Array;
}

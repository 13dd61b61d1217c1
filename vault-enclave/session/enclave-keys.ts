import type { Nsm } from "../../lib/attestation";
import {
  type EnclaveHandshakeKeys,
  encodeHandshakeUserData,
  generateEnclaveHandshakeKeys,
  handshakeKeyDigest,
} from "../../lib/handshake";
import { HANDSHAKE_KEY_TTL_MS } from "../runtime/limits";

/** What a device receives for its `attest`: the document and the keys it binds. */
export interface AttestationAnswer {
  document: Uint8Array;
  x25519: Uint8Array;
  mlkem: Uint8Array;
}

/**
 * The enclave's static handshake keys (X25519 + ML-KEM-768), made inside the enclave
 * and rotated every {@link HANDSHAKE_KEY_TTL_MS}; their digest goes into the
 * `user_data` of every attestation document a device asks for (lib/handshake
 * `encodeHandshakeUserData`). The previous keys stay usable for one more period so a
 * device that attested just before a rotation can still finish its handshake.
 */
export class EnclaveKeys {
  private current: { keys: EnclaveHandshakeKeys; createdAt: number };
  private previous: EnclaveHandshakeKeys | undefined;

  constructor(
    private readonly nsm: Pick<Nsm, "attest">,
    private readonly now: () => number,
  ) {
    this.current = { keys: generateEnclaveHandshakeKeys(), createdAt: now() };
  }

  /** The keys a handshake may be made with: the current ones first, then the previous. */
  candidates(): EnclaveHandshakeKeys[] {
    this.rotate();
    return this.previous ? [this.current.keys, this.previous] : [this.current.keys];
  }

  /** The current keys (for a handshake that does not name them otherwise). */
  get keys(): EnclaveHandshakeKeys {
    this.rotate();
    return this.current.keys;
  }

  /**
   * Whether `digests` name this enclave's current or previous keys: a device that found
   * this enclave silent asks it not to answer (decision 0078).
   */
  isNamedIn(digests: readonly Uint8Array[]): boolean {
    const mine = this.candidates().map((k) => Buffer.from(handshakeKeyDigest(k.x25519.publicKey, k.mlkem.publicKey)));
    return digests.some((d) => mine.some((m) => m.equals(d)));
  }

  /** An attestation document with the device's nonce and the current keys' digest. */
  async attest(nonce: Uint8Array): Promise<AttestationAnswer> {
    const { x25519, mlkem } = this.keys;
    const userData = encodeHandshakeUserData(handshakeKeyDigest(x25519.publicKey, mlkem.publicKey));
    const document = await this.nsm.attest({ nonce, userData });
    return { document, x25519: x25519.publicKey, mlkem: mlkem.publicKey };
  }

  private rotate(): void {
    if (this.now() - this.current.createdAt < HANDSHAKE_KEY_TTL_MS) return;
    this.previous = this.current.keys;
    this.current = { keys: generateEnclaveHandshakeKeys(), createdAt: this.now() };
  }
}

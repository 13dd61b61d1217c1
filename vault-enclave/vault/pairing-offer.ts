import { randomBytes, sodium } from "../../lib/crypto";
import { VettidError } from "../../lib/errors";
import { PAIRING_SECRET_BYTES, pairingProof, pairingSas, proofsEqual } from "../../lib/pairing";
import { PAIRING_MAX_ATTEMPTS, PAIRING_TTL_MS } from "../runtime/limits";
import type { Session } from "../session/sessions";

/**
 * The one open pairing of a vault (docs/protocol.md §Pairing): a secret drawn inside
 * the enclave, shown once to the device that asked for it, good for one join until
 * it expires or its attempts are used up.
 *
 * It lives in the enclave's memory only, never in the sealed state: a runtime restart
 * (or the vault moving to another host) voids it, and the person starts again. So the
 * host never holds the secret, sealed or not, and replaying an old state cannot revive
 * a used one. Starting a new pairing voids the previous one.
 */
export class PairingOffer {
  private secret: Uint8Array | undefined;
  /** The vault's identity public key when the pairing opened, for the new device to check. */
  private identity: Uint8Array | undefined;
  private expiresAt = 0;
  private attemptsLeft = 0;

  constructor(private readonly now: () => number) {}

  /**
   * Draws a fresh secret (voiding any open one) and returns a copy for the device, with
   * its expiry. `identityKey` is the vault's identity public key, which a session of a
   * new device may read while the secret is held ({@link identityKey}).
   */
  open(identityKey: Uint8Array): { secret: Uint8Array; expiresAt: number } {
    this.void();
    this.identity = new Uint8Array(identityKey);
    this.secret = new Uint8Array(randomBytes(PAIRING_SECRET_BYTES));
    this.expiresAt = this.now() + PAIRING_TTL_MS;
    this.attemptsLeft = PAIRING_MAX_ATTEMPTS;
    return { secret: new Uint8Array(this.secret), expiresAt: this.expiresAt };
  }

  /** Whether a join could succeed now: a secret is open, not expired, with attempts left. */
  get isOpen(): boolean {
    return this.secret !== undefined && this.now() < this.expiresAt && this.attemptsLeft > 0;
  }

  /**
   * Checks a join's proof for `session`'s key and handshake. Every call with an open
   * secret counts one attempt; a right proof uses the secret up (single use).
   * @returns the short authentication string of this pairing.
   * @throws VettidError `PAIRING_EXPIRED` when no secret is open (none, expired — which
   *   voids it — or used up); `PAIRING_INVALID` for a wrong proof (counted; the last
   *   attempt voids the secret).
   */
  join(session: Session, vaultId: string, signingKey: Uint8Array, proof: Uint8Array): string {
    const secret = this.secret;
    if (secret === undefined || this.attemptsLeft <= 0) {
      throw new VettidError("PAIRING_EXPIRED", "no pairing is open for this vault; start one on an authorized device");
    }
    this.attemptsLeft -= 1;
    if (this.now() >= this.expiresAt) {
      this.void();
      throw new VettidError("PAIRING_EXPIRED", "the pairing code expired; start another on an authorized device");
    }
    const input = {
      vaultId,
      deviceId: session.deviceId,
      signingKey,
      exchangeKey: session.deviceKey,
      handshakeHash: session.handshakeHash,
    };
    const expected = pairingProof(secret, input);
    const right = proofsEqual(expected, proof);
    sodium().memzero(expected);
    if (!right) {
      if (this.attemptsLeft <= 0) this.void();
      throw new VettidError("PAIRING_INVALID", "the pairing proof does not match this device and session");
    }
    const sas = pairingSas(secret, input);
    this.void();
    return sas;
  }

  /**
   * The vault's identity public key while a secret is held (open, or expired but not yet
   * voided by a join), so a new device can check it against its pairing code before
   * it proves anything (docs/decisions/0062); undefined otherwise.
   */
  get identityKey(): Uint8Array | undefined {
    return this.secret === undefined || this.identity === undefined ? undefined : new Uint8Array(this.identity);
  }

  /** Attempts left on the open secret (0 when none is open); for tests and logs. */
  get attempts(): number {
    return this.secret === undefined ? 0 : this.attemptsLeft;
  }

  /** Wipes the secret. */
  void(): void {
    if (this.secret) sodium().memzero(this.secret);
    this.secret = undefined;
    this.identity = undefined;
    this.attemptsLeft = 0;
    this.expiresAt = 0;
  }
}

import { randomBytes } from "node:crypto";
import { createUser, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { type Authenticator, jwtAuthenticator } from "@nats-io/transport-node";
import { VettidError } from "../../lib/errors";
import { enclaveInboxPrefix, mintScopedEnclaveUserJwt } from "../../lib/nats-auth";
import { RUNTIME_NATS_KEY_CONTEXT } from "../../lib/runtime-config";

/** The sealed plaintext: an account nkey seed as text (`SA…`) is 58 characters. */
export const SEALED_SEED_TEXT_BYTES = 58;

/**
 * User JWT lifetime of the runtime: 6 hours, renewed after half of it, so a renewal that
 * fails (KMS or the host unreachable) is retried for 3 hours before the JWT expires.
 */
export const RUNTIME_JWT_TTL_SECONDS = 6 * 3600;

/** Where the runtime's sealed NATS key comes from, and how it is opened. */
export interface SealedNatsKeySource {
  /** The KMS ciphertext the host hands over (lib/proxy-client `natsKeyCiphertext`). */
  ciphertext(): Promise<Uint8Array>;
  /** KMS Decrypt with this enclave's attested Recipient (vault-enclave/kms `SealingKms.decrypt`). */
  decrypt(ciphertext: Uint8Array, context: Record<string, string>, plaintextBytes: number): Promise<Uint8Array>;
  /** The signing key's public nkey from the measured configuration; any other seed is refused. */
  signingPublicKey: string;
  /** The VettID account's public nkey (measured). */
  accountPublicKey: string;
}

/**
 * Opens the sealed seed under {@link RUNTIME_NATS_KEY_CONTEXT} and checks that it is
 * the measured signing key. The host chooses the ciphertext, so it could hand over a
 * seed of a key it made; that seed's public key is not the measured one and is refused.
 * @throws VettidError `FORBIDDEN` for a seed of another key or not a seed at all.
 */
export async function openSealedNatsKey(source: SealedNatsKeySource): Promise<string> {
  const plaintext = await source.decrypt(
    await source.ciphertext(),
    { ...RUNTIME_NATS_KEY_CONTEXT },
    SEALED_SEED_TEXT_BYTES,
  );
  try {
    if (plaintext.length !== SEALED_SEED_TEXT_BYTES)
      throw new VettidError("FORBIDDEN", "the sealed NATS key is not a seed");
    let signing: KeyPair;
    try {
      signing = fromSeed(plaintext.slice());
    } catch {
      throw new VettidError("FORBIDDEN", "the sealed NATS key is not a seed");
    }
    const publicKey = signing.getPublicKey();
    signing.clear();
    if (publicKey !== source.signingPublicKey) {
      throw new VettidError("FORBIDDEN", "the sealed NATS key is not the measured signing key");
    }
    return new TextDecoder().decode(plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/** The runtime's NATS identity: its own user nkey (made here), a name, and a JWT kept fresh. */
export interface RuntimeNatsIdentity {
  /** `rt_` + 32 hex characters, new per boot; the user JWT's name. */
  readonly name: string;
  /** The inbox prefix the scoped template lets this user subscribe to. */
  readonly inboxPrefix: string;
  /** For nats.js `authenticator`: the current JWT and the user key's nonce signature. */
  readonly authenticator: Authenticator;
  /** When the current JWT expires (seconds since the epoch). */
  readonly expiresAt: number;
  /** Mints a new JWT (opening the sealed key again); the connection uses it from its next (re)connect. */
  renew(): Promise<void>;
  /** Forgets the user key. */
  close(): void;
}

/**
 * Makes the runtime's NATS identity: a fresh user nkey whose seed never leaves the
 * enclave, and a user JWT for it signed by the scoped runtime signing key, which
 * nats-server grants only the runtime template (lib/nats-auth enclave scope). The
 * signing seed is opened from its KMS ciphertext for each JWT and then dropped (a JS
 * string: the garbage collector frees it, nothing clears it).
 */
export async function runtimeNatsIdentity(
  source: SealedNatsKeySource,
  options: { ttlSeconds?: number; now?: () => number } = {},
): Promise<RuntimeNatsIdentity> {
  const user = createUser();
  const userSeed = user.getSeed();
  const name = `rt_${randomBytes(16).toString("hex")}`;
  let jwt = "";
  let expiresAt = 0;
  let closed = false;
  const renew = async () => {
    if (closed) throw new VettidError("CHANNEL_CLOSED", "the runtime's NATS identity is closed");
    const signingKeySeed = await openSealedNatsKey(source);
    const minted = await mintScopedEnclaveUserJwt({
      signing: { accountPublicKey: source.accountPublicKey, signingKeySeed },
      userPublicKey: user.getPublicKey(),
      name,
      ttlSeconds: options.ttlSeconds ?? RUNTIME_JWT_TTL_SECONDS,
      ...(options.now ? { now: options.now() } : {}),
    });
    jwt = minted.jwt;
    expiresAt = minted.expiresAt;
  };
  await renew();
  return {
    name,
    inboxPrefix: enclaveInboxPrefix(name),
    authenticator: jwtAuthenticator(
      () => jwt,
      () => userSeed,
    ),
    get expiresAt() {
      return expiresAt;
    },
    renew,
    close() {
      closed = true;
      userSeed.fill(0);
      user.clear();
    },
  };
}

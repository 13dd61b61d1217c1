import { Algorithms, encodeUser, fromPublic, fromSeed } from "@nats-io/jwt";
import { isSubjectId } from "../subjects";
import { VAULT_TAG } from "./device-scope";
import { enclavePermissions } from "./enclave-scope";
import { USER_JWT_TTL } from "./limits";
import { type DevicePermissions, hostPermissions } from "./permissions";

/** Key material that signs user JWTs: the account's public key and one of its signing keys. */
export interface AccountSigningKey {
  /** The VettID account's public nkey (`A…`); JWTs name it as `issuer_account`. */
  accountPublicKey: string;
  /** Seed (`SA…`) of one of the account's signing keys, never the account's own key. */
  signingKeySeed: string;
}

/**
 * The key the REST edge signs device user JWTs with (from Secrets Manager in AWS): a
 * signing key the account JWT scopes to the device template, so whatever a JWT it
 * signs claims, nats-server grants only a device's permissions (docs/decisions/0063).
 */
export type DeviceSigningKey = AccountSigningKey;

/** Input of {@link mintDeviceUserJwt}. */
export interface MintUserJwtInput {
  signing: DeviceSigningKey;
  /** The device's own user nkey (`U…`), generated on the device. */
  userPublicKey: string;
  vaultId: string;
  deviceId: string;
  ttlSeconds?: number;
  /** Current time in ms (for tests). */
  now?: number;
}

/** A minted user JWT and its expiry (seconds since the epoch). */
export interface MintedUserJwt {
  jwt: string;
  expiresAt: number;
}

const USER_NKEY = /^U[A-Z2-7]{55}$/;

/**
 * True when `value` is a NATS user public nkey: the `U` prefix, base32, and a
 * valid CRC-16 checksum (the shape alone is not enough: nats-jwt refuses to sign
 * for a key whose checksum is wrong, and so does nats-server).
 */
export function isUserPublicKey(value: unknown): value is string {
  if (typeof value !== "string" || !USER_NKEY.test(value)) return false;
  try {
    fromPublic(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Mints a user JWT for a device's own nkey, signed by the scoped device signing key,
 * expiring in hours. It carries no permissions or limits (nats-server refuses a scoped
 * user JWT that does): only its name (the device id) and a `vault:<vaultId>` tag, from
 * which the server fills the key's template, i.e. {@link devicePermissions} and
 * {@link DEVICE_USER_LIMITS}. No seed of the device is involved: the device proves
 * possession of its nkey to the NATS server when it connects.
 */
export async function mintDeviceUserJwt(input: MintUserJwtInput): Promise<MintedUserJwt> {
  const ttl = input.ttlSeconds ?? USER_JWT_TTL.defaultSeconds;
  if (!Number.isInteger(ttl) || ttl < USER_JWT_TTL.minSeconds || ttl > USER_JWT_TTL.maxSeconds) {
    throw new RangeError(`user JWT ttl must be ${USER_JWT_TTL.minSeconds}..${USER_JWT_TTL.maxSeconds} seconds`);
  }
  if (!isUserPublicKey(input.userPublicKey)) throw new TypeError("userPublicKey must be a NATS user nkey");
  // The template puts both ids into subjects as whole tokens: one safe token each.
  if (!isSubjectId(input.vaultId) || !isSubjectId(input.deviceId)) {
    throw new TypeError("vaultId and deviceId must be subject ids");
  }
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  const expiresAt = nowSeconds + ttl;
  const signer = fromSeed(new TextEncoder().encode(input.signing.signingKeySeed));
  const jwt = await encodeUser(
    input.deviceId,
    input.userPublicKey,
    input.signing.accountPublicKey,
    { tags: [`${VAULT_TAG}:${input.vaultId}`] },
    { algorithm: Algorithms.v2, signer, exp: expiresAt, scopedUser: true },
  );
  return { jwt, expiresAt };
}

/** A service user's JWT (not a device's): `permissions` as given, no bearer token. */
async function mintServiceUserJwt(
  signing: AccountSigningKey,
  userPublicKey: string,
  name: string,
  permissions: DevicePermissions,
  ttlSeconds = USER_JWT_TTL.defaultSeconds,
): Promise<MintedUserJwt> {
  const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
  const signer = fromSeed(new TextEncoder().encode(signing.signingKeySeed));
  const jwt = await encodeUser(
    name,
    userPublicKey,
    signing.accountPublicKey,
    {
      pub: permissions.pub,
      sub: permissions.sub,
      ...(permissions.resp ? { resp: permissions.resp } : {}),
      bearer_token: false,
    },
    { algorithm: Algorithms.v2, signer, exp: expiresAt },
  );
  return { jwt, expiresAt };
}

/**
 * Mints the vault runtime's user JWT for its own nkey, signed by the scoped runtime
 * signing key, whose seed only an attested enclave can open (decision 0072). Like a
 * device's, it carries no permissions or limits (nats-server refuses a scoped user JWT
 * that does): only its name, from which the server fills the template
 * (lib/nats-auth/enclave-scope.ts) — the two KV buckets and `enclaveInboxPrefix(name)`.
 */
export async function mintScopedEnclaveUserJwt(input: {
  signing: AccountSigningKey;
  userPublicKey: string;
  /** One subject token (the runtime uses `rt_` + 32 hex characters, new per boot). */
  name: string;
  ttlSeconds?: number;
  /** Current time in ms (for tests). */
  now?: number;
}): Promise<MintedUserJwt> {
  const ttl = input.ttlSeconds ?? USER_JWT_TTL.defaultSeconds;
  if (!Number.isInteger(ttl) || ttl < USER_JWT_TTL.minSeconds || ttl > USER_JWT_TTL.maxSeconds) {
    throw new RangeError(`user JWT ttl must be ${USER_JWT_TTL.minSeconds}..${USER_JWT_TTL.maxSeconds} seconds`);
  }
  if (!isUserPublicKey(input.userPublicKey)) throw new TypeError("userPublicKey must be a NATS user nkey");
  if (!isSubjectId(input.name)) throw new TypeError("name must be a subject id");
  const expiresAt = Math.floor((input.now ?? Date.now()) / 1000) + ttl;
  const signer = fromSeed(new TextEncoder().encode(input.signing.signingKeySeed));
  const jwt = await encodeUser(
    input.name,
    input.userPublicKey,
    input.signing.accountPublicKey,
    {},
    { algorithm: Algorithms.v2, signer, exp: expiresAt, scopedUser: true },
  );
  return { jwt, expiresAt };
}

/**
 * Mints the vault runtime's own user JWT with {@link enclavePermissions} for
 * `userPublicKey`, signed by an unscoped account signing key. DEV ONLY: the local
 * topology's launcher signs it for a runtime without TLS NATS; a deployment uses
 * {@link mintScopedEnclaveUserJwt} inside the enclave.
 */
export function mintEnclaveUserJwt(input: {
  signing: AccountSigningKey;
  userPublicKey: string;
  name: string;
  createBuckets?: boolean;
  ttlSeconds?: number;
}): Promise<MintedUserJwt> {
  const permissions = enclavePermissions({ name: input.name, createBuckets: input.createBuckets ?? false });
  return mintServiceUserJwt(input.signing, input.userPublicKey, input.name, permissions, input.ttlSeconds);
}

/**
 * Mints a host (vsock proxy) user JWT with {@link hostPermissions}, signed by an
 * unscoped account signing key: an operator tool's and the local topology's job, never
 * a Lambda's (in AWS the host's creds are set out of band).
 */
export function mintHostUserJwt(input: {
  signing: AccountSigningKey;
  userPublicKey: string;
  hostId: string;
  ttlSeconds?: number;
}): Promise<MintedUserJwt> {
  return mintServiceUserJwt(input.signing, input.userPublicKey, input.hostId, hostPermissions(), input.ttlSeconds);
}

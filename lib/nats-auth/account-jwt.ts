import { Algorithms, encodeAccount, fromPublic, fromSeed } from "@nats-io/jwt";
import { deviceSigningKeyScope } from "./device-scope";
import { enclaveSigningKeyScope } from "./enclave-scope";
import { ACCOUNT_LIMITS, REVOCATION_RETENTION_SECONDS, SYSTEM_ACCOUNT_LIMITS } from "./limits";

/** Name of the account every device and host connects to. */
export const VETTID_ACCOUNT_NAME = "VETTID";
/** Name of the system account (server events, claim updates). */
export const SYSTEM_ACCOUNT_NAME = "SYS";

/** Revoked user nkeys → revocation time (seconds); JWTs issued at or before it are refused. */
export type Revocations = Record<string, number>;

/** Input of {@link encodeVettidAccountJwt}. */
export interface VettidAccountInput {
  accountPublicKey: string;
  /**
   * Public keys of the unscoped account signing keys: a user JWT they sign gets the
   * permissions it claims (vault hosts). Their seeds are held out of band, by no Lambda.
   */
  signingKeys: string[];
  /**
   * Public keys of the scoped device signing keys (the edge holds one seed): a user JWT
   * they sign gets only the device template (lib/nats-auth/device-scope.ts).
   */
  deviceSigningKeys: string[];
  /**
   * Public keys of the scoped runtime signing keys (their seeds sealed for attested
   * enclaves, decision 0072): a user JWT they sign gets only the runtime template
   * (lib/nats-auth/enclave-scope.ts).
   */
  enclaveSigningKeys?: string[];
  revocations?: Revocations;
  /** Seed of the operator or of an operator signing key (`SO…`). */
  operatorSeed: string;
}

/**
 * The VettID account JWT: limits (without them nats-server refuses connections),
 * signing keys (unscoped ones, then the scoped device and runtime keys), and the current revocations. Re-issued with a new revocation list
 * to revoke a device's live JWT.
 */
export async function encodeVettidAccountJwt(input: VettidAccountInput): Promise<string> {
  fromPublic(input.accountPublicKey);
  if (input.deviceSigningKeys.length === 0) throw new TypeError("the account needs a device signing key");
  const enclaveKeys = input.enclaveSigningKeys ?? [];
  for (const key of [...input.signingKeys, ...input.deviceSigningKeys, ...enclaveKeys]) {
    if (!key.startsWith("A")) throw new TypeError("signing keys must be account nkeys");
    fromPublic(key);
  }
  if (input.deviceSigningKeys.some((key) => input.signingKeys.includes(key))) {
    throw new TypeError("a device signing key must not also be an unscoped signing key");
  }
  if (enclaveKeys.some((key) => input.signingKeys.includes(key) || input.deviceSigningKeys.includes(key))) {
    throw new TypeError("a runtime signing key must not also be an unscoped or a device signing key");
  }
  const operator = fromSeed(new TextEncoder().encode(input.operatorSeed));
  const account: Record<string, unknown> = {
    limits: { ...ACCOUNT_LIMITS },
    signing_keys: [
      ...input.signingKeys,
      ...input.deviceSigningKeys.map(deviceSigningKeyScope),
      ...enclaveKeys.map(enclaveSigningKeyScope),
    ],
    default_permissions: { pub: { deny: [">"] }, sub: { deny: [">"] } },
  };
  if (input.revocations && Object.keys(input.revocations).length > 0) account.revocations = { ...input.revocations };
  return encodeAccount(VETTID_ACCOUNT_NAME, input.accountPublicKey, account, {
    algorithm: Algorithms.v2,
    signer: operator,
  });
}

/** The system account JWT. */
export async function encodeSystemAccountJwt(systemAccountPublicKey: string, operatorSeed: string): Promise<string> {
  const operator = fromSeed(new TextEncoder().encode(operatorSeed));
  return encodeAccount(
    SYSTEM_ACCOUNT_NAME,
    systemAccountPublicKey,
    { limits: { ...SYSTEM_ACCOUNT_LIMITS } },
    { algorithm: Algorithms.v2, signer: operator },
  );
}

/**
 * Adds a revocation and drops entries older than the longest JWT lifetime (every
 * JWT they could match has expired), which keeps the account JWT bounded.
 */
export function withRevocation(current: Revocations, userPublicKey: string, nowSeconds: number): Revocations {
  const next: Revocations = {};
  for (const [key, at] of Object.entries(current)) {
    if (at > nowSeconds - REVOCATION_RETENTION_SECONDS) next[key] = at;
  }
  next[userPublicKey] = nowSeconds;
  return next;
}

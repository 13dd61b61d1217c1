import { VettidError } from "../errors";
import { encodeVettidAccountJwt, isUserPublicKey, type Revocations } from "../nats-auth";
import type { AccountClaimsPublisher } from "./claims-publisher";

/**
 * What re-issues the VettID account JWT: the operator signing key and the public keys
 * the account JWT lists (Secrets Manager `VETTID_NATS_OPERATOR_SECRET_ID`, readable by the
 * revocation publisher alone).
 */
export interface AccountIssuer {
  /** Seed (`SO…`) of an operator signing key. */
  operatorSigningKeySeed: string;
  accountPublicKey: string;
  /** Unscoped account signing keys (host users; their seeds are held out of band). */
  accountSigningKeys: string[];
  /** Scoped device signing keys (the edge holds one seed). */
  deviceSigningKeys: string[];
  /**
   * Scoped runtime signing keys (decision 0072). A re-issued account JWT without them
   * would cut every vault runtime's own connection, so they are carried like the others.
   */
  enclaveSigningKeys?: string[];
  /** A creds file of the system-account user that pushes claim updates. */
  systemUserCreds: string;
}

/**
 * The most revocations one account JWT carries. The claims update is one NATS message
 * of at most `max_payload` (1 MiB); each entry is about 70 bytes of JSON (a 56-character
 * nkey, a 10-digit time, quotes, colon, comma), 94 once base64url-encoded into the JWT;
 * the rest of the claims take under 4 KiB: (1,048,576 − 4,096) / 94 ≈ 11,100, rounded
 * down to 10,000. Entries are pruned after the longest JWT lifetime (12 h), so this is
 * 10,000 revocations within 12 hours.
 */
export const MAX_REVOCATIONS = 10_000;

/** What {@link publishRevocations} needs. */
export interface RevocationPublisherDeps {
  /** The revocations as the edge recorded them (a consistent read). */
  revocations(): Promise<Revocations>;
  issuer(): Promise<AccountIssuer>;
  /** Connects as the system user of `creds` and pushes the account JWT. */
  publisher(creds: string): AccountClaimsPublisher;
  /** ms since the epoch. */
  now(): number;
}

/** Times nats-server compares with a JWT's `iat` (seconds): after 2020, at most a day ahead. */
const EARLIEST_SECONDS = 1_577_836_800;
const MAX_AHEAD_SECONDS = 86_400;

/**
 * Checks what the table holds before it is signed: user nkeys with integer times in a
 * plausible range, and no more than {@link MAX_REVOCATIONS}. The edge writes this item;
 * whoever can write the table can add revocations (deny service), never anything else
 * to the account JWT.
 * @throws VettidError `CONFIG_INVALID` naming the first bad entry's position.
 */
export function checkRevocations(revocations: unknown, nowMs: number): Revocations {
  if (typeof revocations !== "object" || revocations === null || Array.isArray(revocations)) {
    throw new VettidError("CONFIG_INVALID", "the revocation list is not a map");
  }
  const entries = Object.entries(revocations as Record<string, unknown>);
  if (entries.length > MAX_REVOCATIONS) {
    throw new VettidError(
      "CONFIG_INVALID",
      `the revocation list has ${entries.length} entries, over ${MAX_REVOCATIONS}`,
    );
  }
  const latest = Math.floor(nowMs / 1000) + MAX_AHEAD_SECONDS;
  const out: Revocations = {};
  entries.forEach(([key, at], i) => {
    if (!isUserPublicKey(key)) throw new VettidError("CONFIG_INVALID", `revocation ${i} is not a user nkey`);
    if (typeof at !== "number" || !Number.isInteger(at) || at < EARLIEST_SECONDS || at > latest) {
      throw new VettidError("CONFIG_INVALID", `revocation ${i} has an invalid time`);
    }
    out[key] = at;
  });
  return out;
}

/**
 * Re-signs the VettID account JWT with the recorded revocations and pushes it to the
 * NATS servers as the system user; the servers then close the revoked users'
 * connections. Idempotent: publishing the same list twice changes nothing.
 * @throws VettidError `UNAVAILABLE` when the servers did not take it (the stream retries).
 */
export async function publishRevocations(deps: RevocationPublisherDeps): Promise<{ revocations: number }> {
  const revocations = checkRevocations(await deps.revocations(), deps.now());
  const issuer = await deps.issuer();
  const jwt = await encodeVettidAccountJwt({
    accountPublicKey: issuer.accountPublicKey,
    signingKeys: issuer.accountSigningKeys,
    deviceSigningKeys: issuer.deviceSigningKeys,
    ...(issuer.enclaveSigningKeys ? { enclaveSigningKeys: issuer.enclaveSigningKeys } : {}),
    revocations,
    operatorSeed: issuer.operatorSigningKeySeed,
  });
  try {
    await deps.publisher(issuer.systemUserCreds).publish(jwt);
  } catch (err) {
    throw new VettidError("UNAVAILABLE", "the NATS servers did not take the account update", { cause: err });
  }
  return { revocations: Object.keys(revocations).length };
}

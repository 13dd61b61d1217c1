import type { AccountSigningKey, Revocations } from "../nats-auth";
import type { EdgeStore } from "../store";

/** Pushes the account's revocations to the NATS servers (re-signs and publishes the account JWT). */
export interface RevocationPusher {
  push(revocations: Revocations): Promise<void>;
}

/** What the edge's use cases need; handlers build it once per Lambda container. */
export interface EdgeContext {
  store: EdgeStore;
  /** ms since the epoch. */
  now(): number;
  /** NATS URLs handed to devices. */
  natsServers: string[];
  /** Where devices fetch the signed PCR manifest. */
  manifestUrl: string;
  /** Lifetime of minted user JWTs. */
  jwtTtlSeconds: number;
  /** The account signing key (cached from Secrets Manager). */
  accountSigningKey(): Promise<AccountSigningKey>;
  /** Only the revocation handlers need it. */
  revocationPusher?: RevocationPusher;
}

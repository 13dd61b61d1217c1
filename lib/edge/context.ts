import type { DeviceSigningKey } from "../nats-auth";
import type { EdgeStore } from "../store";

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
  /**
   * The scoped device signing key (cached from Secrets Manager): the only NATS key the
   * edge holds. It signs device user JWTs, which nats-server scopes to the device
   * template whatever they claim (docs/decisions/0063).
   */
  deviceSigningKey(): Promise<DeviceSigningKey>;
}

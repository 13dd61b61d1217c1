/**
 * Limits of the VettID account JWT. nats-server refuses every connection to an
 * account whose JWT has no `limits` (and JetStream needs explicit JetStream
 * limits), so the account always carries these.
 */
export const ACCOUNT_LIMITS = {
  /** Unlimited connections: one per device plus the hosts' proxies. */
  conn: -1,
  leaf: -1,
  subs: -1,
  data: -1,
  /** 1 MiB: the largest sealed envelope the vault protocol sends (lib/frames MAX). */
  payload: 1_048_576,
  imports: -1,
  exports: -1,
  wildcards: true,
  disallow_bearer: true,
  /**
   * JetStream for the runtime's version witness and leases (KV); devices have no $JS
   * access. Unlimited (-1): bounded by each server's own `max_memory_store` and
   * `max_file_store`. A number above what a server has would make nats-server 2.9.10
   * leave JetStream off for the whole account, without an error to the client
   * (`$JS.API.INFO` then has no responders): 256 MiB did, against the local server's 64 MB.
   */
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
  max_ack_pending: -1,
  mem_max_stream_bytes: -1,
  disk_max_stream_bytes: -1,
  max_bytes_required: false,
} as const;

/** Limits of the system account (no JetStream). */
export const SYSTEM_ACCOUNT_LIMITS = {
  conn: -1,
  leaf: -1,
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
} as const;

/**
 * Limits in every device user JWT, enforced by nats-server per connection.
 * - subs: a device needs 3 subscriptions (its request inbox, its device events,
 *   the vault's broadcast events); 16 leaves room for an app that re-subscribes,
 *   and stops one stolen credential from loading the servers' subject trees.
 * - payload: 1 MiB, the account's maximum, which fits the largest sealed envelope
 *   (`lib/envelope` MAX_ENVELOPE_BYTES: 1 MiB less 4 KiB for NATS headers).
 * - data: -1; volume is bounded by the vault's own request handling, not per user.
 */
export const DEVICE_USER_LIMITS = { subs: 16, payload: ACCOUNT_LIMITS.payload, data: -1 } as const;

/**
 * Limits of the runtime's own user (scoped runtime signing key).
 * - subs: nats.js takes one subscription for its request inbox; a KV watch (the lease
 *   follower) takes one each, and the runtime watches at most its two buckets. 32
 *   leaves room for reconnect overlap and stops a leaked JWT from loading the servers'
 *   subject trees.
 * - payload: the account's maximum; witness and lease records are under 1 KiB.
 * - data: -1; the runtime's KV traffic is bounded by the vaults it serves.
 */
export const ENCLAVE_USER_LIMITS = { subs: 32, payload: ACCOUNT_LIMITS.payload, data: -1 } as const;

/**
 * Device user JWT lifetime. Hours, not days: a stolen JWT is useless without the
 * device's nkey seed, but a short expiry also bounds a revoked device that a server
 * missed the revocation for. 4 h by default, at most 12 h.
 */
export const USER_JWT_TTL = { defaultSeconds: 4 * 3600, minSeconds: 60, maxSeconds: 12 * 3600 } as const;

/**
 * Revocation entries older than the longest user JWT lifetime can be pruned: every
 * JWT they could match has expired.
 */
export const REVOCATION_RETENTION_SECONDS = USER_JWT_TTL.maxSeconds;

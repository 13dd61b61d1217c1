import {
  deviceInboxPrefix,
  SUBJECT_ROOT,
  vaultBroadcastEventSubject,
  vaultDeviceEventSubject,
  vaultRequestSubject,
} from "../subjects";

/** The publish and subscribe permissions of one device's NATS user. */
export interface DevicePermissions {
  pub: { allow: string[]; deny: string[] };
  sub: { allow: string[]; deny: string[] };
  /**
   * nats-server's `allow_responses`: the user may publish to the reply subject of each
   * message it received, at most `max` times within `ttl` nanoseconds, whatever `pub`
   * says.
   */
  resp?: { max: number; ttl: number };
}

/**
 * How long a host may answer a device request it received: longer than any request
 * waits for its answer (a device's default timeout is 15 s), short enough that the
 * server forgets the requests a host never answers (every host receives every request
 * and answers only those of the vaults its enclave holds) within half a minute.
 */
export const HOST_REPLY_TTL_NS = 30 * 1_000_000_000;

/**
 * Subjects a device may never touch even if an allow rule were widened by mistake:
 * the system account API, the JetStream API and every other VettID subject root.
 * Deny wins over allow in nats-server, so these are a second line behind the
 * exact allow lists.
 */
export const ALWAYS_DENIED = ["$SYS.>", "$JS.>", "$KV.>", "$O.>", "_INBOX.>"] as const;

/**
 * The exact permissions of a device's user JWT (DESIGN.md §3 invariant 5):
 * publish only its own requests to its own vault; subscribe only to its own inbox
 * and its own vault's event subjects. Everything else is denied by default
 * because an allow list is present.
 *
 * @example
 * devicePermissions("vlt_1", "dev_1").pub.allow // ["vettid.v1.vault.vlt_1.req.dev_1"]
 */
export function devicePermissions(vaultId: string, deviceId: string): DevicePermissions {
  return {
    pub: { allow: [vaultRequestSubject(vaultId, deviceId)], deny: [...ALWAYS_DENIED] },
    sub: {
      allow: [
        `${deviceInboxPrefix(deviceId)}.>`,
        vaultDeviceEventSubject(vaultId, deviceId),
        vaultBroadcastEventSubject(vaultId),
      ],
      deny: [...ALWAYS_DENIED],
    },
  };
}

/** The JetStream KV bucket of vault leases (DESIGN.md §4 Routing) and its stream. */
export const LEASE_BUCKET = "vettid-leases";

/** The JetStream KV bucket of the vault runtime's version witness (decision 0070). */
export const WITNESS_BUCKET = "vettid-witness";

/** The JetStream stream of the vaults' sealed change events (decision 0073). */
export const SYNC_STREAM = "vettid-sync";

/** The subjects of {@link SYNC_STREAM}: `vettid.v1.sync.<vault id>`, one per vault. */
export const SYNC_SUBJECTS = `${SUBJECT_ROOT}.sync.*`;

/**
 * The JetStream API subjects the runtime needs for the change log: account info, the
 * stream's info and single-message reads (`next_by_subj`). It publishes events on the
 * stream's subjects themselves; no consumers, no purge, no delete.
 */
export const SYNC_JETSTREAM_API: readonly string[] = [
  "$JS.API.INFO",
  `$JS.API.STREAM.INFO.${SYNC_STREAM}`,
  `$JS.API.STREAM.MSG.GET.${SYNC_STREAM}`,
];

/**
 * The JetStream API subjects a KV client needs for one bucket and nothing more:
 * account info, the bucket stream's info and message gets (answered by the stream's
 * leader), direct gets unless `direct` is false (any replica answers those, however
 * far behind), consumers on it (watches), and the flow control replies of those
 * consumers (`$JS.FC.<stream>.…`: a watch is a push consumer with flow control, and
 * the server stops delivering to it every few MB until the client answers). Stream
 * creation, deletion, purge and every other stream stay denied.
 */
export function kvJetStreamApi(bucket: string, options: { direct?: boolean } = {}): string[] {
  const stream = `KV_${bucket}`;
  return [
    "$JS.API.INFO",
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    ...(options.direct === false ? [] : [`$JS.API.DIRECT.GET.${stream}`, `$JS.API.DIRECT.GET.${stream}.>`]),
    `$JS.API.CONSUMER.*.${stream}`,
    `$JS.API.CONSUMER.*.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/**
 * {@link kvJetStreamApi} of the version witness bucket: no direct gets, so the runtime
 * reads each record from the stream's leader (lib/jetstream-layout turns them off for
 * the stream too).
 */
export const WITNESS_JETSTREAM_API: readonly string[] = kvJetStreamApi(WITNESS_BUCKET, { direct: false });

/** {@link kvJetStreamApi} of the lease bucket. */
export const LEASE_JETSTREAM_API: readonly string[] = kvJetStreamApi(LEASE_BUCKET);

/**
 * What a host may ask JetStream of the lease bucket: account info, the stream's info
 * and single-message reads, never a consumer. nats-server 2.9 does not check a push
 * consumer's `deliver_subject` against its creator's publish permissions, so a host
 * that could create one could have the server itself publish lease messages onto
 * `$KV.vettid-witness.<vault>` (or into a runtime's inbox); no consumers, no flow
 * control replies (`$JS.FC`).
 */
export const HOST_LEASE_READ_API: readonly string[] = LEASE_JETSTREAM_API.filter(
  (subject) => !subject.startsWith("$JS.API.CONSUMER.") && !subject.startsWith("$JS.FC."),
);

/**
 * Permissions of a vault host's proxy user: receive every device's requests for
 * the vaults it serves (all vaults; which ones it answers is decided by the vault
 * leases), answer each of them once ({@link HOST_REPLY_TTL_NS}) and publish vault
 * events. Nothing else into a device's inbox: a host cannot flood it, nor answer a
 * request it never received (the take-over's gather reads one answer per host,
 * decision 0078). No `$SYS`; JetStream API access for reading the lease KV bucket only
 * ({@link HOST_LEASE_READ_API}), and no `$KV` subject at all: leases are the runtimes'
 * to write, over their own connections (decision 0072), so a host cannot hand itself a
 * vault or fence another runtime out.
 */
export function hostPermissions(): DevicePermissions {
  return {
    pub: {
      allow: [`${SUBJECT_ROOT}.vault.*.evt.*`, ...HOST_LEASE_READ_API],
      deny: ["$SYS.>"],
    },
    sub: { allow: [`${SUBJECT_ROOT}.vault.*.req.*`, "_INBOX.>"], deny: ["$SYS.>"] },
    resp: { max: 1, ttl: HOST_REPLY_TTL_NS },
  };
}

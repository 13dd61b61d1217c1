import type { StorageType, StreamConfig } from "@nats-io/jetstream";
import { LEASE_BUCKET, SYNC_STREAM, SYNC_SUBJECTS, WITNESS_BUCKET } from "../nats-auth/permissions";
import { MAX_SEALED_CHANGE_BYTES } from "../vault-sync";

/** The fields of a stream's configuration a layout sets; the server fills in the rest. */
export type ExpectedStreamConfig = Partial<StreamConfig> & { name: string };

/** A JetStream KV bucket of the layout: `Kvm.create(name, kv)` makes its stream. */
export interface KvAsset {
  kind: "kv";
  /** The bucket's name. */
  name: string;
  /** The bucket's stream: `KV_<bucket>`. */
  streamName: string;
  /** The `Kvm.create` options that make it. */
  kv: { history: number; storage: StorageType; replicas: number; allow_direct: boolean };
  /** What the server holds for the bucket's stream once `Kvm.create` made it. */
  config: ExpectedStreamConfig;
}

/** A plain JetStream stream of the layout: `jsm.streams.add(config)` makes it. */
export interface StreamAsset {
  kind: "stream";
  name: string;
  streamName: string;
  config: ExpectedStreamConfig;
}

/** One JetStream asset the deployment needs. */
export type JetStreamAsset = KvAsset | StreamAsset;

/** Most replicas of a JetStream stream (nats-server's limit). */
export const MAX_REPLICAS = 5;

/** Days a change event is kept: a device offline longer lists its items again. */
export const SYNC_RETENTION_DAYS = 90;

/** Most events kept per vault: older ones go first, and a device behind them lists its items again. */
export const SYNC_EVENTS_PER_VAULT = 4_096;

/**
 * Room for the headers of an append: nats-server counts a message's headers toward the
 * stream's `max_msg_size`, and the runtime's publish carries `Nats-Expected-Stream`
 * (about 50 bytes), so a limit of exactly the largest sealed event refused it.
 */
export const SYNC_HEADER_ALLOWANCE_BYTES = 512;

/** Nanoseconds per day: JetStream durations are in nanoseconds. */
const NANOS_PER_DAY = 86_400 * 1_000_000_000;

function checkReplicas(replicas: number): void {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new RangeError(`replicas must be an integer 1..${MAX_REPLICAS}`);
  }
}

/**
 * The sync stream's limits (decision 0073), as a deployment provisions it and the local
 * topology creates it: per vault the newest {@link SYNC_EVENTS_PER_VAULT} events for at
 * most {@link SYNC_RETENTION_DAYS} days, each at most one sealed event, oldest dropped
 * first, each message at most the largest sealed event and its headers; file storage,
 * replicated as the cluster allows.
 */
export function syncStreamConfig(replicas: number): ExpectedStreamConfig {
  return {
    name: SYNC_STREAM,
    subjects: [SYNC_SUBJECTS],
    max_msgs_per_subject: SYNC_EVENTS_PER_VAULT,
    max_age: SYNC_RETENTION_DAYS * NANOS_PER_DAY,
    max_msg_size: MAX_SEALED_CHANGE_BYTES + SYNC_HEADER_ALLOWANCE_BYTES,
    discard: "old",
    storage: "file",
    num_replicas: replicas,
  };
}

/**
 * A KV bucket that keeps one value per key, for good: `Kvm.create` with history 1 on
 * file storage makes a stream with these fields (nats.js 3, nats-server 2.9: discard
 * new, rollups allowed, no byte or value size limit). No age limit either (the
 * server's default, which `Kvm.create` leaves): a witness record that expired would
 * let an older state version load again. `direct`: whether any replica may answer a
 * read (a direct get), however far behind it is; the version witness turns it off so
 * that only the stream's leader answers (NATS promises no read-your-writes through
 * direct gets, and an older witness record is an older state accepted), the lease
 * bucket keeps it for the hosts' routing reads (a stale lease read only delays a
 * host's view; taking a lease is a compare-and-set at the leader).
 */
function kvAsset(bucket: string, replicas: number, direct: boolean): KvAsset {
  const history = 1;
  const streamName = `KV_${bucket}`;
  return {
    kind: "kv",
    name: bucket,
    streamName,
    kv: { history, storage: "file", replicas, allow_direct: direct },
    config: {
      name: streamName,
      subjects: [`$KV.${bucket}.>`],
      retention: "limits",
      max_msgs_per_subject: history,
      max_bytes: -1,
      max_msg_size: -1,
      max_age: 0,
      discard: "new",
      storage: "file",
      num_replicas: replicas,
      allow_direct: direct,
      allow_rollup_hdrs: true,
    },
  };
}

/**
 * The deployment's JetStream assets: the version witness bucket (decision 0070), the
 * vault lease bucket (decision 0071) and the sync stream (decision 0073), each with
 * `replicas` replicas (3 on the three-node cluster, 1 on a single server). The vault
 * runtime's own NATS user may use them but not create them: an operator does, with
 * `vettid admin jetstream`.
 *
 * @example
 * jetStreamLayout(3).map((a) => a.streamName) // ["KV_vettid-witness", "KV_vettid-leases", "vettid-sync"]
 * @throws RangeError unless `replicas` is an integer 1..{@link MAX_REPLICAS}
 */
export function jetStreamLayout(replicas: number): JetStreamAsset[] {
  checkReplicas(replicas);
  const sync = syncStreamConfig(replicas);
  return [
    kvAsset(WITNESS_BUCKET, replicas, false),
    kvAsset(LEASE_BUCKET, replicas, true),
    { kind: "stream", name: SYNC_STREAM, streamName: sync.name, config: sync },
  ];
}

/** What nats-server reports for a field it leaves out (it omits false, zero and empty values). */
function zeroLike(expected: unknown): unknown {
  if (typeof expected === "boolean") return false;
  if (typeof expected === "number") return 0;
  if (typeof expected === "string") return "";
  if (Array.isArray(expected)) return [];
  return undefined;
}

/** A value as a difference shows it: strings bare (but for the empty one), the rest as JSON. */
function show(value: unknown): string {
  if (value === undefined) return "unset";
  return typeof value === "string" && value !== "" ? value : JSON.stringify(value);
}

/** Lists compare as sets (a stream's subjects have no order); everything else by value. */
function canonical(value: unknown): string {
  return JSON.stringify(Array.isArray(value) ? [...value].map((v) => JSON.stringify(v)).sort() : value);
}

/**
 * The fields of `actual` (a stream's configuration as the server reports it) that
 * differ from `expected` (an asset's {@link JetStreamAsset.config}), one line each,
 * `field: actual, want expected`; empty when the stream is as the layout says. Only the
 * fields `expected` sets are compared; a field the server leaves out counts as its
 * zero value.
 *
 * @example
 * layoutDifferences(syncStreamConfig(3), info.config) // ["num_replicas: 1, want 3"]
 */
export function layoutDifferences(expected: ExpectedStreamConfig, actual: Partial<StreamConfig>): string[] {
  const differences: string[] = [];
  for (const [field, want] of Object.entries(expected)) {
    if (want === undefined) continue;
    const have = (actual as Record<string, unknown>)[field] ?? zeroLike(want);
    if (canonical(have) !== canonical(want)) differences.push(`${field}: ${show(have)}, want ${show(want)}`);
  }
  return differences;
}

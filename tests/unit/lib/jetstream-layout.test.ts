import type { StreamConfig } from "@nats-io/jetstream";
import {
  jetStreamLayout,
  layoutDifferences,
  SYNC_EVENTS_PER_VAULT,
  SYNC_HEADER_ALLOWANCE_BYTES,
  SYNC_RETENTION_DAYS,
  syncStreamConfig,
} from "../../../lib/jetstream-layout";
import { LEASE_BUCKET, SYNC_STREAM, SYNC_SUBJECTS, WITNESS_BUCKET } from "../../../lib/nats-auth";
import { MAX_SEALED_CHANGE_BYTES } from "../../../lib/vault-sync";
import * as changeLog from "../../../vault-enclave/sync/jetstream-change-log";

/** A KV bucket's stream as nats-server 2.9.10 reports it after `Kvm.create(bucket, { history: 1 })`. */
function serverKvConfig(bucket: string, replicas: number, direct: boolean): Partial<StreamConfig> {
  return {
    name: `KV_${bucket}`,
    subjects: [`$KV.${bucket}.>`],
    retention: "limits",
    max_consumers: -1,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msgs_per_subject: 1,
    max_msg_size: -1,
    discard: "new",
    storage: "file",
    num_replicas: replicas,
    duplicate_window: 120_000_000_000,
    allow_direct: direct,
    mirror_direct: false,
    sealed: false,
    deny_delete: false,
    deny_purge: false,
    allow_rollup_hdrs: true,
  };
}

describe("jetStreamLayout", () => {
  it("lists the witness and lease buckets and the sync stream, each with the replicas asked for", () => {
    // Act
    const layout = jetStreamLayout(3);

    // Assess
    expect(layout.map((a) => [a.kind, a.name, a.streamName])).toEqual([
      ["kv", WITNESS_BUCKET, "KV_vettid-witness"],
      ["kv", LEASE_BUCKET, "KV_vettid-leases"],
      ["stream", SYNC_STREAM, "vettid-sync"],
    ]);
    for (const asset of layout) {
      expect(asset.config.name).toBe(asset.streamName);
      expect(asset.config.num_replicas).toBe(3);
      expect(asset.config.storage).toBe("file");
    }
  });

  it("gives each bucket history 1 on file storage, and the stream configuration Kvm.create makes of that", () => {
    // Act
    const [witness, leases] = jetStreamLayout(1);

    // Assess
    for (const [asset, bucket, direct] of [
      [witness, WITNESS_BUCKET, false],
      [leases, LEASE_BUCKET, true],
    ] as const) {
      expect(asset?.kind === "kv" && asset.kv).toEqual({
        history: 1,
        storage: "file",
        replicas: 1,
        allow_direct: direct,
      });
      expect(asset?.config).toEqual({
        name: `KV_${bucket}`,
        subjects: [`$KV.${bucket}.>`],
        retention: "limits",
        max_msgs_per_subject: 1,
        max_bytes: -1,
        max_msg_size: -1,
        max_age: 0,
        discard: "new",
        storage: "file",
        num_replicas: 1,
        allow_direct: direct,
        allow_rollup_hdrs: true,
      });
      expect(layoutDifferences(asset?.config ?? { name: "" }, serverKvConfig(bucket, 1, direct))).toEqual([]);
    }
  });

  it("keeps the sync stream's limits: per vault 4,096 events for 90 days, each at most one sealed event and its headers", () => {
    // Act
    const sync = jetStreamLayout(3)[2];

    // Assess
    expect(sync?.config).toEqual(syncStreamConfig(3));
    expect(syncStreamConfig(3)).toEqual({
      name: SYNC_STREAM,
      subjects: [SYNC_SUBJECTS],
      max_msgs_per_subject: SYNC_EVENTS_PER_VAULT,
      max_age: SYNC_RETENTION_DAYS * 86_400 * 1_000_000_000,
      max_msg_size: MAX_SEALED_CHANGE_BYTES + SYNC_HEADER_ALLOWANCE_BYTES,
      discard: "old",
      storage: "file",
      num_replicas: 3,
    });
    expect([SYNC_EVENTS_PER_VAULT, SYNC_RETENTION_DAYS, MAX_SEALED_CHANGE_BYTES, SYNC_HEADER_ALLOWANCE_BYTES]).toEqual([
      4_096, 90, 66_869, 512,
    ]);
  });

  it("is what the change log's module still exports", () => {
    // Assess
    expect(changeLog.syncStreamConfig).toBe(syncStreamConfig);
    expect(changeLog.SYNC_EVENTS_PER_VAULT).toBe(SYNC_EVENTS_PER_VAULT);
    expect(changeLog.SYNC_RETENTION_DAYS).toBe(SYNC_RETENTION_DAYS);
    expect(changeLog.SYNC_STREAM).toBe(SYNC_STREAM);
  });

  it.each([0, 6, 1.5, Number.NaN, -1])("refuses %p replicas", (replicas) => {
    // Act / Assess
    expect(() => jetStreamLayout(replicas)).toThrow(RangeError);
  });
});

describe("layoutDifferences", () => {
  it("finds none on a stream as the layout says, whatever else the server reports", () => {
    // Prepare
    const actual = { ...syncStreamConfig(3), retention: "limits", max_msgs: -1, duplicate_window: 120_000_000_000 };

    // Act / Assess
    expect(layoutDifferences(syncStreamConfig(3), actual as Partial<StreamConfig>)).toEqual([]);
  });

  it("names each field that differs with its value and the wanted one", () => {
    // Prepare
    const expected = jetStreamLayout(3)[0]?.config ?? { name: "" };
    const actual = {
      ...serverKvConfig(WITNESS_BUCKET, 1, true),
      max_msgs_per_subject: 5,
      storage: "memory",
      max_age: 3_600_000_000_000,
    } as Partial<StreamConfig>;

    // Act
    const differences = layoutDifferences(expected, actual);

    // Assess
    expect(differences).toEqual([
      "max_msgs_per_subject: 5, want 1",
      "max_age: 3600000000000, want 0",
      "storage: memory, want file",
      "num_replicas: 1, want 3",
      "allow_direct: true, want false",
    ]);
  });

  it("compares subjects as a set and reports other ones", () => {
    // Prepare
    const expected: Parameters<typeof layoutDifferences>[0] = { name: "s", subjects: ["a.*", "b.*"] };

    // Act / Assess
    expect(layoutDifferences(expected, { name: "s", subjects: ["b.*", "a.*"] })).toEqual([]);
    expect(layoutDifferences(expected, { name: "s", subjects: ["a.>"] })).toEqual([
      'subjects: ["a.>"], want ["a.*","b.*"]',
    ]);
  });

  it("takes a field the server leaves out as its zero value", () => {
    // Prepare
    const expected = jetStreamLayout(1)[1]?.config ?? { name: "" };
    const {
      allow_rollup_hdrs: _rollups,
      allow_direct: _direct,
      max_age: _age,
      ...omitted
    } = serverKvConfig(LEASE_BUCKET, 1, true);

    // Act / Assess
    expect(layoutDifferences(expected, omitted)).toEqual([
      "allow_direct: false, want true",
      "allow_rollup_hdrs: false, want true",
    ]);
    expect(layoutDifferences({ name: "s", description: "x" }, { name: "s" })).toEqual(['description: "", want x']);
  });
});

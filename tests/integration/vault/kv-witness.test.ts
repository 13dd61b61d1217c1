/**
 * The version witness in JetStream KV on a real nats-server (vault-enclave/witness,
 * decision 0070): compare-and-set on the revision, records refused when someone with
 * access to the store wrote garbage or another vault's record, and a runtime over it
 * that refuses a replayed blob after a restart.
 */

import { jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { sodiumReady } from "../../../lib/crypto";
import { stateBlobKey } from "../../../vault-enclave/state";
import { encodePayload } from "../../../vault-enclave/state/cbor";
import {
  encodeWitnessRecord,
  KvWitness,
  openWitnessBucket,
  WITNESS_BUCKET,
  type WitnessRecord,
} from "../../../vault-enclave/witness";
import { useNatsServer } from "../../harness/nats";
import { codeOf, founded, MemoryBlobs, memoryKms, person, startHarness } from "../../unit/enclave/runtime/harness";

const VAULT = `vlt_${"ab".repeat(16)}`;
const OTHER = `vlt_${"cd".repeat(16)}`;
const record = (stateVersion: number, failures = 0): WitnessRecord => ({
  vaultId: VAULT,
  stateVersion,
  failures,
  recoveryFailures: 0,
  stateDigest: new Uint8Array(32).fill(stateVersion),
});

describe("KvWitness on nats-server with JetStream", () => {
  const server = useNatsServer();
  let nc: NatsConnection;
  let bucket: KV;

  beforeAll(async () => {
    await sodiumReady();
    nc = await connect({ servers: server.current.url });
    bucket = await new Kvm(nc).create(WITNESS_BUCKET, { history: 1 });
  });
  afterAll(async () => {
    await nc.close();
  });
  /** Removes every message of a key, markers included: the key as a vault never seen has it. */
  const forget = async (key: string) => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.purge(`KV_${WITNESS_BUCKET}`, { filter: `$KV.${WITNESS_BUCKET}.${key}` });
  };
  beforeEach(async () => {
    await forget(VAULT);
  });

  it("records with compare-and-set on the revision, and refuses a writer that read an older one", async () => {
    const witness = new KvWitness({ bucket });
    expect(await witness.read(VAULT)).toBeUndefined();
    const first = await witness.record(record(1), null);
    const second = await witness.record(record(2, 1), first);
    expect(await witness.read(VAULT)).toEqual({ record: record(2, 1), revision: second });
    // a second runtime that read revision `first`, or none, cannot record over it
    await expect(witness.record(record(3), first)).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    await expect(witness.record(record(3), null)).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    expect((await witness.read(VAULT))?.record.stateVersion).toBe(2);
  });

  it("fails closed on a record that is garbage, too large, another vault's, or of another version", async () => {
    const witness = new KvWitness({ bucket });
    const hostile = [
      new Uint8Array([0xff, 0x00, 0x13]),
      new Uint8Array(4096),
      encodeWitnessRecord({ ...record(9), vaultId: OTHER }),
      encodePayload({ v: 2, vault: VAULT, version: 9, failures: 0, recoveryFailures: 0 }),
      encodePayload({ v: 3, vault: VAULT, version: 9, failures: 0, recoveryFailures: 0, digest: new Uint8Array(32) }),
      encodePayload({ v: 2, vault: VAULT, version: 9, failures: 0, recoveryFailures: 0, digest: new Uint8Array(31) }),
      encodePayload({ v: 1, vault: VAULT, version: 9, failures: 0, recoveryFailures: 0, extra: 1 }),
    ];
    for (const value of hostile) {
      await bucket.put(VAULT, value);
      await expect(witness.read(VAULT)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    }
  });

  it("fails closed on a record that was deleted or purged: a removed record is not a vault never seen", async () => {
    const witness = new KvWitness({ bucket });
    const revision = await witness.record(record(7, 4), null);
    await bucket.delete(VAULT);
    await expect(witness.read(VAULT)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    // nor can the runtime record over the marker as if the vault were new
    await expect(witness.record(record(1), null)).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    await bucket.put(VAULT, encodeWitnessRecord(record(7, 4)));
    await bucket.purge(VAULT);
    await expect(witness.read(VAULT)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(revision).toBeGreaterThan(0);
  });

  it("reads each record from the stream's leader, never by a direct get any replica may answer, even where the stream allows them", async () => {
    // Prepare: this file's bucket was made by `Kvm.create`, whose stream allows direct
    // gets; a second connection sees which JetStream API each read asks
    await new KvWitness({ bucket }).record(record(4), null);
    const spy = await connect({ servers: server.current.url });
    const asked: string[] = [];
    const direct = spy.subscribe(`$JS.API.DIRECT.GET.KV_${WITNESS_BUCKET}.>`, {
      callback: (_e, m) => {
        asked.push(m.subject);
      },
    });
    const leader = spy.subscribe(`$JS.API.STREAM.MSG.GET.KV_${WITNESS_BUCKET}`, {
      callback: (_e, m) => {
        asked.push(m.subject);
      },
    });
    await spy.flush();
    const readAndSee = async (witness: KvWitness) => {
      asked.length = 0;
      const read = await witness.read(VAULT);
      await spy.flush();
      return { version: read?.record.stateVersion, asked: asked.map((s) => s.split(".").slice(0, 4).join(".")) };
    };

    // Act: the bucket as `Kvm.create` hands it out, and as the runtime opens it
    const created = await readAndSee(new KvWitness({ bucket }));
    const opened = await readAndSee(new KvWitness({ bucket: await openWitnessBucket(nc) }));

    // Assess: `create`'s bucket reads by direct get; the runtime's asks the leader
    expect(created).toEqual({ version: 4, asked: ["$JS.API.DIRECT.GET"] });
    expect(opened).toEqual({ version: 4, asked: ["$JS.API.STREAM.MSG"] });
    direct.unsubscribe();
    leader.unsubscribe();
    await spy.close();
  });

  it("answers UNAVAILABLE when the connection is gone", async () => {
    const gone = await connect({ servers: server.current.url });
    const witness = new KvWitness({ bucket: await new Kvm(gone).open(WITNESS_BUCKET), timeoutMs: 500 });
    await gone.close();
    await expect(witness.read(VAULT)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(witness.record(record(1), null)).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  it("lets a restarted runtime refuse a blob older than the version in KV", async () => {
    const alice = await person("dev-alice");
    const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new KvWitness({ bucket }) };
    let h = await startHarness([alice.vaultId], { stores });
    const device = await founded(h, alice);
    const key = stateBlobKey(alice.vaultId);
    const before = { ...(stores.blobs.objects.get(key) as { data: Uint8Array; version: string }) };
    await device.call("items.put", { op: "items.put", name: "bank", type: "secret", value: new Uint8Array([1]) });
    await device.call("vault.lock", { op: "vault.lock" });
    await h.close();
    h = await startHarness([alice.vaultId], { stores });
    try {
      stores.blobs.objects.set(key, { data: before.data, version: "replayed" });
      const thief = h.client(alice, { memory: { stateVersion: 0 } });
      expect(await codeOf(thief.call("vault.unlock", { op: "vault.unlock", pin: "000001" }))).toBe("STALE_STATE");
    } finally {
      await h.close();
      await forget(alice.vaultId);
    }
  });
});

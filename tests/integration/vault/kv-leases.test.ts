/**
 * Leases in JetStream KV on a real nats-server (vault-enclave/lease, decision 0071):
 * one owner per vault, a lapsed lease taken over at the next epoch, the old owner's
 * renewal refused, two runtimes racing for one lease of which exactly one wins, a peek
 * that writes nothing, and unreadable leases failing closed.
 */
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  encodeLeaseRecord,
  KvLeaseTable,
  LEASE_BUCKET,
  LEASE_CLOCK_SKEW_MS,
  LEASE_TTL_MS,
} from "../../../vault-enclave/lease";
import { encodePayload } from "../../../vault-enclave/state/cbor";
import { useNatsServer } from "../../harness/nats";

const VAULT = `vlt_${"ab".repeat(16)}`;
const A = "a".repeat(32);
const B = "b".repeat(32);

describe("KvLeaseTable on nats-server with JetStream", () => {
  const server = useNatsServer();
  let nc: NatsConnection;
  let bucket: KV;
  let clock = 1_800_000_000_000;
  const table = (self: string) => new KvLeaseTable({ bucket, self, now: () => clock });

  beforeAll(async () => {
    nc = await connect({ servers: server.current.url });
    bucket = await new Kvm(nc).create(LEASE_BUCKET, { history: 1 });
  });
  afterAll(async () => {
    await nc.close();
  });
  beforeEach(async () => {
    await bucket.purge(VAULT).catch(() => undefined);
  });

  it("gives a vault one owner, takes a lapsed lease over at the next epoch, and refuses the old owner's renewal", async () => {
    const a = table(A);
    const b = table(B);
    const first = await a.acquire(VAULT);
    expect(first).toMatchObject({ held: true, lease: { record: { owner: A, epoch: 1 } } });
    expect(await b.acquire(VAULT)).toMatchObject({ held: false, owner: A });

    // A renews while alive; B still waits
    clock += 1_500;
    const held = first.held ? first.lease : (undefined as never);
    const renewed = await a.renew(held);
    expect(await b.acquire(VAULT)).toMatchObject({ held: false, owner: A });

    // A stops renewing (dead or paused): B takes it once it lapsed by more than the skew
    clock += LEASE_TTL_MS + LEASE_CLOCK_SKEW_MS + 1;
    expect(await b.acquire(VAULT)).toMatchObject({ held: true, lease: { record: { owner: B, epoch: 2 } } });
    // A, resumed, cannot renew what it held: it must stop serving the vault
    await expect(a.renew(renewed)).rejects.toMatchObject({ code: "LEASE_LOST" });
    expect(await a.acquire(VAULT)).toMatchObject({ held: false, owner: B });
  });

  it("peeks at a vault's lease without writing: another's live lease is named, none, a lapsed one and one's own are not", async () => {
    // Prepare
    const a = table(A);
    const b = table(B);
    // Act / Assess: nobody holds it yet
    expect(await b.peek(VAULT)).toBeUndefined();
    const first = await a.acquire(VAULT);
    const revision = first.held ? first.lease.revision : -1;
    expect(await b.peek(VAULT)).toMatchObject({ owner: A, expiresAt: clock + LEASE_TTL_MS });
    expect(await a.peek(VAULT)).toBeUndefined();
    clock += LEASE_TTL_MS + LEASE_CLOCK_SKEW_MS + 1;
    expect(await b.peek(VAULT)).toBeUndefined();
    // nothing was written by the peeks
    expect((await bucket.get(VAULT))?.revision).toBe(revision);
  });

  it("lets exactly one of two runtimes win a race for a lapsed lease", async () => {
    const a = table(A);
    const first = await a.acquire(VAULT);
    expect(first.held).toBe(true);
    clock += LEASE_TTL_MS + LEASE_CLOCK_SKEW_MS + 1;
    const c = "c".repeat(32);
    const results = await Promise.all([table(B).acquire(VAULT), table(c).acquire(VAULT)]);
    expect(results.filter((r) => r.held)).toHaveLength(1);
    const winner = results.find((r) => r.held);
    expect(results.find((r) => !r.held)).toMatchObject({ owner: winner?.held ? winner.lease.record.owner : "" });
  });

  it("lets a released lease be taken at once", async () => {
    const first = await table(A).acquire(VAULT);
    await table(A).release(first.held ? first.lease : (undefined as never));
    clock += LEASE_CLOCK_SKEW_MS + 1;
    expect(await table(B).acquire(VAULT)).toMatchObject({ held: true, lease: { record: { owner: B, epoch: 2 } } });
  });

  it("fails closed on a lease that is garbage, too large, another vault's or of another version", async () => {
    const hostile = [
      new Uint8Array([0xff, 0x00]),
      new Uint8Array(4096),
      encodeLeaseRecord({ vaultId: `vlt_${"cd".repeat(16)}`, owner: B, epoch: 1, expiresAt: 0 }),
      encodePayload({ v: 2, vault: VAULT, owner: B, epoch: 1, expiresAt: 0 }),
    ];
    for (const value of hostile) {
      await bucket.put(VAULT, value);
      await expect(table(A).acquire(VAULT)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    }
  });

  it("gives both of two requests of one runtime racing for a free lease the lease, not one of them a refusal", async () => {
    // Act: one runtime, two first requests for the vault at once
    const a = table(A);
    const [one, two] = await Promise.all([a.acquire(VAULT), a.acquire(VAULT)]);

    // Assess: both hold it, at the same revision (the loser adopted the winner's)
    expect(one).toMatchObject({ held: true, lease: { record: { owner: A } } });
    expect(two).toMatchObject({ held: true, lease: { record: { owner: A } } });
    expect(one.held && two.held && one.lease.revision === two.lease.revision).toBe(true);
  });
});

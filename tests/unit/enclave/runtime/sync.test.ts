/**
 * Device sync (vault-enclave/sync, decision 0073): a device that was offline asks its
 * vault for the changes since the position it remembers and gets each committed change
 * once, in order; whoever runs the change log's store (NATS) can drop, repeat, reorder
 * or insert messages, and the device either still gets exactly the committed changes
 * or is told to list its items again, never a wrong history.
 */
import type { VaultClient } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { VettidError } from "../../../../lib/errors";
import type { ChangeEvent } from "../../../../lib/vault-sync";
import {
  bytes,
  codeOf,
  founded,
  type Harness,
  type HostStores,
  MemoryChangeLog,
  type Person,
  PIN,
  person,
  startHarness,
} from "./harness";

/** What a change says, without its time and chain fields. */
const summary = (e: ChangeEvent) =>
  e.kind === "item.put"
    ? `${e.seq} put ${e.name} v${e.version} ${Buffer.from(e.value).toString()}`
    : `${e.seq} deleted ${e.name}`;

describe("device sync: the changes since a device last looked", () => {
  let alice: Person;
  let bob: Person;
  const open: Harness[] = [];

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    bob = await person("dev-bob");
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  async function start(options: { stores?: HostStores; changes?: MemoryChangeLog | false } = {}): Promise<Harness> {
    const h = await startHarness([alice.vaultId, bob.vaultId], options);
    open.push(h);
    return h;
  }

  /** A second session of Alice's device, unlocked, following the changes from now. */
  async function follower(h: Harness): Promise<VaultClient> {
    const laptop = h.client(alice);
    await laptop.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const started = await laptop.syncChanges();
    expect(started.started).toBe(true);
    return laptop;
  }

  const put = (device: VaultClient, name: string, value: string) =>
    device.call("items.put", { op: "items.put", name, type: "secret", value: bytes(value) });
  const del = (device: VaultClient, name: string) => device.call("items.delete", { op: "items.delete", name });

  it("gives a device offline during 100 changes exactly those 100, in order, once", async () => {
    // Prepare
    const h = await start();
    const phone = await founded(h, alice);
    const laptop = await follower(h);
    const expected: string[] = [];
    const versions = new Map<string, number>();
    for (let i = 1; i <= 100; i += 1) {
      const name = `item-${i % 17}`;
      if (i % 7 === 0 && versions.has(name)) {
        await del(phone, name);
        versions.delete(name);
        expected.push(`${i} deleted ${name}`);
      } else {
        const version = (versions.get(name) ?? 0) + 1;
        await put(phone, name, `value ${i}`);
        versions.set(name, version);
        expected.push(`${i} put ${name} v${version} value ${i}`);
      }
    }

    // Act
    const caughtUp = await laptop.syncChanges();
    const again = await laptop.syncChanges();

    // Assess
    expect(caughtUp.events.map(summary)).toEqual(expected);
    expect(caughtUp.head.seq).toBe(100);
    expect(again.events).toEqual([]);
    // applied in order, the changes give the vault's items exactly
    const applied = new Map<string, number>();
    for (const e of caughtUp.events) {
      if (e.kind === "item.put") applied.set(e.name, e.version);
      else applied.delete(e.name);
    }
    const listed = await laptop.call("items.list", { op: "items.list" });
    expect(new Map(listed.items.map((item) => [item.name, item.version]))).toEqual(applied);
  });

  it("passes over an event whose state write failed, so the device never sees a change that did not happen", async () => {
    // Prepare
    const h = await start();
    const phone = await founded(h, alice);
    const laptop = await follower(h);
    await put(phone, "a", "one");
    const realPut = h.blobs.put.bind(h.blobs);
    h.blobs.put = async () => {
      h.blobs.put = realPut;
      throw new VettidError("UNAVAILABLE", "the blob store did not answer");
    };
    expect(await codeOf(put(phone, "b", "never"))).toBe("UNAVAILABLE");
    await put(phone, "c", "three");

    // Act
    const caughtUp = await laptop.syncChanges();

    // Assess: the log holds the orphan, the device gets the two committed changes
    expect((h.stores.changes as MemoryChangeLog).of(alice.vaultId)).toHaveLength(3);
    expect(caughtUp.events.map(summary)).toEqual(["1 put a v1 one", "2 put c v1 three"]);
  });

  it("still gives exactly the committed changes when the store reorders, repeats or inserts messages", async () => {
    // Prepare
    const h = await start();
    const phone = await founded(h, alice);
    const bobs = await founded(h, bob);
    const laptop = await follower(h);
    for (let i = 1; i <= 6; i += 1) await put(phone, `n${i}`, `v${i}`);
    await put(bobs, "bob-secret", "not for alice");
    const log = h.stores.changes as MemoryChangeLog;
    const mine = log.of(alice.vaultId);
    // swap events 2 and 5 in the store, repeat event 3, copy Bob's event and garbage into Alice's log
    type Stored = (typeof mine)[number];
    const two = mine[1] as Stored;
    const five = mine[4] as Stored;
    [two.data, five.data] = [five.data, two.data];
    log.insert(alice.vaultId, (mine[2] as Stored).data);
    log.insert(alice.vaultId, (log.of(bob.vaultId)[0] as Stored).data);
    log.insert(alice.vaultId, new Uint8Array(400).fill(7));

    // Act
    const caughtUp = await laptop.syncChanges();

    // Assess
    expect(caughtUp.events.map(summary)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `${i} put n${i} v1 v${i}`));
  });

  it("tells a device to list its items again when the store dropped a change it has not seen", async () => {
    // Prepare
    const h = await start();
    const phone = await founded(h, alice);
    const laptop = await follower(h);
    for (let i = 1; i <= 5; i += 1) await put(phone, `n${i}`, `v${i}`);
    const log = h.stores.changes as MemoryChangeLog;
    const dropped = log.of(alice.vaultId)[2];
    log.messages = log.messages.filter((m) => m !== dropped);

    // Act
    const code = await codeOf(laptop.syncChanges());
    const known = laptop.known.changes;

    // Assess: never a history with a gap; the device's position stays where it was verified
    expect(code).toBe("CHANGES_TRUNCATED");
    expect(known?.seq).toBeLessThan(3);
  });

  it("stops reading at a store that answers a position before the one asked for, instead of scanning on", async () => {
    // Prepare: a store whose every answer is its first message, whatever was asked
    const log = new MemoryChangeLog();
    let reads = 0;
    const next = log.next.bind(log);
    log.next = async (vaultId, _from) => {
      reads += 1;
      return next(vaultId, 1);
    };
    const h = await start({ changes: log });
    const phone = await founded(h, alice);
    const laptop = await follower(h);
    for (let i = 1; i <= 3; i += 1) await put(phone, `n${i}`, `v${i}`);
    reads = 0;

    // Act
    const code = await codeOf(laptop.syncChanges());

    // Assess: refused as changes no longer kept, after a handful of reads (not hundreds)
    expect(code).toBe("CHANGES_TRUNCATED");
    expect(reads).toBeLessThan(10);
  });

  it("never skips changes when a catch-up fails part way: the position moves only once they are handed over", async () => {
    // Prepare: 70 changes (two pages), and a log that stops answering after the first page
    const log = new MemoryChangeLog();
    const h = await start({ changes: log });
    const phone = await founded(h, alice);
    const laptop = await follower(h);
    for (let i = 1; i <= 70; i += 1) await put(phone, `n${i}`, `v${i}`);
    let reads = 0;
    const next = log.next.bind(log);
    log.next = async (vaultId, from) => {
      reads += 1;
      if (reads > 66) throw new VettidError("UNAVAILABLE", "the change log did not answer");
      return next(vaultId, from);
    };

    // Act: the first catch-up fails on its second page; then the log answers again
    const failed = await codeOf(laptop.syncChanges());
    const positionAfterFailure = laptop.known.changes?.seq;
    log.next = next;
    const handed: number[] = [];
    await laptop.syncChanges({ onEvents: (events) => void handed.push(...events.map((e) => e.seq)) });

    // Assess: all 70, once, in order; nothing was skipped by the failure
    expect(failed).toBe("UNAVAILABLE");
    expect(positionAfterFailure).toBe(0);
    expect(handed).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(laptop.known.changes?.seq).toBe(70);
  });

  it("stores no event for a put the state refuses (over its size limit)", async () => {
    // Prepare
    const log = new MemoryChangeLog();
    const h = await start({ changes: log });
    const phone = await founded(h, alice);
    const big = "x".repeat(65_536);

    // Act: 64 KiB items until the sealed state would pass its limit
    let refused = "OK";
    let stored = 0;
    for (let i = 0; i < 24 && refused === "OK"; i += 1) {
      refused = await codeOf(put(phone, `big-${i}`, big));
      if (refused === "OK") stored += 1;
    }

    // Assess: refused, and the log holds exactly the events of the puts that happened
    expect(refused).toBe("PAYLOAD_TOO_LARGE");
    expect(log.of(alice.vaultId)).toHaveLength(stored);
  });

  it("continues a device's position across a runtime restart over the same stores", async () => {
    // Prepare
    const h = await start();
    const phone = await founded(h, alice);
    const laptop = await follower(h);
    await put(phone, "a", "one");
    expect((await laptop.syncChanges()).events.map(summary)).toEqual(["1 put a v1 one"]);
    const memory = laptop.known;
    await h.close();
    open.splice(open.indexOf(h), 1);
    const restarted = await start({ stores: h.stores });
    const phoneAgain = restarted.client(alice);
    await phoneAgain.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await put(phoneAgain, "b", "two");
    const laptopAgain = restarted.client(alice, { memory });
    await laptopAgain.call("vault.unlock", { op: "vault.unlock", pin: PIN });

    // Act
    const caughtUp = await laptopAgain.syncChanges();

    // Assess
    expect(caughtUp.events.map(summary)).toEqual(["2 put b v1 two"]);
  });

  it("keeps item names and values out of the store: the log holds only sealed events", async () => {
    // Prepare
    const h = await start();
    const phone = await founded(h, alice);
    await put(phone, "CANARY-NAME-7", "CANARY-VALUE-7");
    await del(phone, "CANARY-NAME-7");

    // Act
    const stored = (h.stores.changes as MemoryChangeLog).of(alice.vaultId).map((m) => Buffer.from(m.data));

    // Assess
    expect(stored).toHaveLength(2);
    for (const data of stored) {
      expect(data.includes("CANARY")).toBe(false);
      expect(data.subarray(0, 4).toString("latin1")).toBe("VTSC");
    }
  });

  it("refuses changes to a locked session, and answers UNAVAILABLE where the runtime keeps no log", async () => {
    // Prepare
    const h = await start({ changes: false });
    const phone = await founded(h, alice);
    await put(phone, "a", "one");
    const locked = h.client(alice);

    // Act
    const withoutLog = await codeOf(phone.syncChanges());
    const lockedCode = await codeOf(locked.call("vault.changes", { op: "vault.changes" }));

    // Assess
    expect(withoutLog).toBe("UNAVAILABLE");
    expect(lockedCode).toBe("VAULT_LOCKED");
  });
});

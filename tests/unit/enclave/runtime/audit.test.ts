/**
 * The sealed audit log through the real runtime and client over in-memory ports:
 * every security event of a journey is recorded in order and its chain verifies on
 * the device; failed PINs are recorded without the PIN and survive a restart; the log
 * rolls over into sealed segments; and what the host can do to segments and state —
 * flip a byte, serve another vault's segment, swap, drop, serve an old state — is
 * refused by the enclave or by the device.
 */
import type { VaultClient, VaultMemory } from "../../../../client/vault";
import { VettidError } from "../../../../lib/errors";
import { auditChainEnd, auditGenesis, encodeAuditEntry } from "../../../../lib/vault-audit";
import { auditSegmentBlobKey, stateBlobKey } from "../../../../vault-enclave/state";
import { codeOf, type Harness, type Person, PIN, person, startHarness } from "./harness";

const WRONG = "000000";

describe("sealed audit log (in-memory host)", () => {
  let h: Harness;
  let alice: Person;
  let clock = Date.now();
  const started: Harness[] = [];

  async function harness(stores?: Harness["stores"], vaults: string[] = [alice.vaultId]): Promise<Harness> {
    const next = await startHarness(vaults, { now: () => clock, ...(stores ? { stores } : {}) });
    started.push(next);
    return next;
  }

  beforeEach(async () => {
    alice = await person("dev-alice");
    clock = Date.now();
    h = await harness();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((x) => x.close()));
  });

  async function initialized(on: Harness = h, who: Person = alice): Promise<VaultClient> {
    const device = on.client(who);
    await device.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: who.signing.publicKey,
      vaultSalt: who.vaultSalt,
    });
    return device;
  }

  const unlock = (device: VaultClient, pin = PIN) => device.call("vault.unlock", { op: "vault.unlock", pin });

  /** `n` unlocks with the right PIN: two entries each. */
  async function unlocks(device: VaultClient, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      clock += 1_000;
      await unlock(device);
    }
  }

  const kinds = (log: Awaited<ReturnType<VaultClient["readAudit"]>>) =>
    log.entries.map((e) => (e.detail.failures === undefined ? e.kind : `${e.kind}:${e.detail.failures}`));

  it("records every security event of a journey, in order, and the device verifies the chain", async () => {
    // Prepare + Act: init, a wrong PIN, the right one, items (not security events), a PIN change.
    const device = await initialized();
    clock += 1_000;
    expect(await codeOf(unlock(device, WRONG))).toBe("PIN_INCORRECT");
    clock += 1_000;
    await unlock(device);
    await device.call("items.put", { op: "items.put", name: "bank", type: "secret", value: new Uint8Array(3) });
    clock += 1_000;
    await device.call("pin.change", { op: "pin.change", pin: PIN, newPin: "correct horse" });
    const log = await device.readAudit();

    // Assess
    expect(kinds(log)).toEqual([
      "vault.initialized",
      "unlock.attempted:1",
      "unlock.failed:1",
      "unlock.attempted:2",
      "unlock.succeeded",
      "unlock.attempted:1",
      "unlock.succeeded",
      "pin.changed",
    ]);
    expect(log.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(log.entries.map((e) => e.device))).toEqual(new Set([alice.deviceId]));
    const times = log.entries.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // The head is the chain over the entries as encoded, from digest 0 of this vault.
    const encoded = log.entries.map((e) => encodeAuditEntry(e));
    expect(log.head).toEqual({ seq: 8, digest: auditChainEnd(alice.vaultId, auditGenesis(alice.vaultId), encoded) });
    expect(device.known.audit).toEqual({ seq: 8, digest: Buffer.from(log.head.digest).toString("base64url") });
  });

  it("answers the log only in an unlocked session", async () => {
    // Prepare
    const device = await initialized();
    await device.call("vault.lock", { op: "vault.lock" });

    // Act + Assess
    expect(await codeOf(device.readAudit())).toBe("VAULT_LOCKED");
    expect(await codeOf(device.call("vault.audit", { op: "vault.audit", fromSeq: 1 }))).toBe("VAULT_LOCKED");
  });

  it("records wrong PINs though nobody knew the PIN, and they survive a restart of the runtime", async () => {
    // Prepare: a thief's device session that never unlocks guesses twice.
    const device = await initialized();
    const thief = h.client(alice, { memory: device.known });
    for (let i = 0; i < 2; i++) {
      clock += 1_000;
      expect(await codeOf(unlock(thief, WRONG))).toBe("PIN_INCORRECT");
    }

    // Act: the runtime restarts over the same stores; the owner unlocks and reads.
    await h.close();
    const restarted = await harness(h.stores);
    const owner = restarted.client(alice, { memory: device.known });
    clock += 1_000;
    await unlock(owner);
    const log = await owner.readAudit();

    // Assess
    expect(kinds(log)).toEqual([
      "vault.initialized",
      "unlock.attempted:1",
      "unlock.failed:1",
      "unlock.attempted:2",
      "unlock.failed:2",
      "unlock.attempted:3",
      "unlock.succeeded",
    ]);
  });

  it("rolls the log over into sealed segments and reads it back whole, across pages", async () => {
    // Prepare + Act: 1 + 2 × 40 = 81 entries, more than a page of 64.
    const device = await initialized();
    await unlocks(device, 40);
    const log = await device.readAudit();

    // Assess
    expect(log.head.seq).toBe(81);
    expect(log.entries.map((e) => e.seq)).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));
    expect(log.entries[0]?.kind).toBe("vault.initialized");
    expect(
      log.entries.slice(1).every((e, i) => e.kind === (i % 2 === 0 ? "unlock.attempted" : "unlock.succeeded")),
    ).toBe(true);
    const segments = [...h.blobs.objects.keys()].filter((k) => k.includes("/audit-")).sort();
    const expected = [1, 17, 33, 49].map((first) => auditSegmentBlobKey(alice.vaultId, first)).sort();
    expect(segments).toEqual(expected);
    // Nothing of an entry is readable in a segment or the state blob.
    for (const key of [...segments, stateBlobKey(alice.vaultId)]) {
      const data = Buffer.from(h.blobs.objects.get(key)?.data as Uint8Array);
      expect(data.includes(Buffer.from("unlock"))).toBe(false);
      expect(data.includes(Buffer.from(alice.deviceId))).toBe(false);
    }
    // A page from the middle starts at the digest the whole chain has there.
    const page = await device.call("vault.audit", { op: "vault.audit", fromSeq: 20, limit: 5 });
    const prefix = log.entries.slice(0, 19).map((e) => encodeAuditEntry(e));
    expect(page.before).toEqual(auditChainEnd(alice.vaultId, auditGenesis(alice.vaultId), prefix));
    expect(page.entries).toHaveLength(5);
  });

  describe("what the host does to segments", () => {
    async function rolledOver(): Promise<VaultClient> {
      const device = await initialized();
      await unlocks(device, 24); // 49 entries: segments 1 and 17, tail 33…49
      return device;
    }
    const segment = (first: number, vaultId = alice.vaultId) => auditSegmentBlobKey(vaultId, first);

    it("refuses a segment with one byte flipped", async () => {
      const device = await rolledOver();
      const object = h.blobs.objects.get(segment(1));
      if (!object) throw new Error("no segment");
      object.data.set([(object.data.at(-20) as number) ^ 0x01], object.data.length - 20);
      expect(await codeOf(device.readAudit())).toBe("STATE_INVALID");
    });

    it("refuses another vault's segment at the same position", async () => {
      // Prepare: Bob's vault, served by the same runtime, rolls over too.
      const bob = await person("dev-bob");
      await h.close();
      const both = await harness(h.stores, [alice.vaultId, bob.vaultId]);
      h = both;
      const device = await rolledOver();
      const bobs = await initialized(both, bob);
      await unlocks(bobs, 24);
      const theirs = both.blobs.objects.get(segment(1, bob.vaultId));
      if (!theirs) throw new Error("no segment");

      // Act
      both.blobs.objects.set(segment(1), { ...theirs, data: new Uint8Array(theirs.data) });

      // Assess
      expect(await codeOf(device.readAudit())).toBe("STATE_INVALID");
    });

    it("refuses swapped segments, and a dropped one", async () => {
      const device = await rolledOver();
      const first = h.blobs.objects.get(segment(1));
      const second = h.blobs.objects.get(segment(17));
      if (!first || !second) throw new Error("no segments");
      h.blobs.objects.set(segment(1), second);
      h.blobs.objects.set(segment(17), first);
      expect(await codeOf(device.readAudit())).toBe("STATE_INVALID");

      h.blobs.objects.set(segment(1), first);
      h.blobs.objects.set(segment(17), second);
      expect(await codeOf(device.readAudit())).toBe("OK");
      h.blobs.objects.delete(segment(1));
      expect(await codeOf(device.readAudit())).toBe("STATE_INVALID");
    });

    it("keeps a segment a crash left behind and writes the state that drops its entries on the next try", async () => {
      // Prepare: 47 entries; the next unlock's success (entry 49) rolls entries 17…32 over,
      // and the host loses the state write that follows the segment write.
      const device = await initialized();
      await unlocks(device, 23);
      const put = h.blobs.put.bind(h.blobs);
      let segmentWrites = 0;
      let dropped = false;
      h.blobs.put = async (key, data, expected) => {
        if (key === segment(17)) segmentWrites += 1;
        if (key === stateBlobKey(alice.vaultId) && segmentWrites > 0 && !dropped) {
          dropped = true;
          throw new VettidError("UNAVAILABLE", "the host dropped the write");
        }
        return put(key, data, expected);
      };
      clock += 1_000;
      expect(await codeOf(unlock(device))).toBe("UNAVAILABLE");

      // Act: the next operations roll over again onto the segment already there.
      await unlocks(device, 2);
      const log = await device.readAudit();

      // Assess: one segment write, no gap, and the attempt whose success was lost stays in the log.
      expect(segmentWrites).toBe(1);
      expect(log.entries.map((e) => e.seq)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
      expect(kinds(log).slice(46, 50)).toEqual([
        "unlock.succeeded",
        "unlock.attempted:1",
        "unlock.attempted:2",
        "unlock.succeeded",
      ]);
    });
  });

  describe("what the host does to the state after a restart", () => {
    it("is caught by the device when it serves an older state: a shorter log, or one that forks", async () => {
      // Prepare: a snapshot of the state, then more events the device reads.
      const device = await initialized();
      await unlocks(device, 2);
      const old = h.blobs.objects.get(stateBlobKey(alice.vaultId));
      if (!old) throw new Error("no state");
      const snapshot = { data: new Uint8Array(old.data), version: old.version };
      await unlocks(device, 2);
      await device.readAudit();
      const seen: VaultMemory = { stateVersion: 0, ...(device.known.audit ? { audit: device.known.audit } : {}) };

      // Act: the runtime restarts and the host serves the snapshot (a device that forgot
      // the state version, but remembers the audit head, reads the log).
      await h.close();
      h.blobs.objects.set(stateBlobKey(alice.vaultId), snapshot);
      const restarted = await harness(h.stores);
      // A device that remembers the state version refuses the old state at once.
      const careful = restarted.client(alice, { memory: device.known });
      const refused = await codeOf(careful.call("vault.status", { op: "vault.status" }));
      const forgetful = restarted.client(alice, { memory: seen });
      await unlock(forgetful);
      const shorter = await codeOf(forgetful.readAudit());
      await unlocks(forgetful, 2);
      const forked = await codeOf(forgetful.readAudit());

      // Assess
      expect(shorter).toBe("STALE_STATE");
      expect(forked).toBe("AUDIT_INVALID");
      expect(refused).toBe("STALE_STATE");
    });
  });
});

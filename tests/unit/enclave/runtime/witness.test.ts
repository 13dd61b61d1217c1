/**
 * The version witness (vault-enclave/witness, decision 0070) against a host that keeps
 * every state blob it was ever given and serves an old one after the runtime restarts:
 * to undo a thief's wrong PIN guesses, or to bring a revoked device back. Each attack
 * is run first without a witness, where it works, then with one, where it is refused;
 * and a host that blocks the witness gets a vault that stops, not one that resets.
 */
import type { VaultClient } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { VettidError } from "../../../../lib/errors";
import { identityFingerprint } from "../../../../lib/pairing";
import { parseStateBlob, stateBlobKey } from "../../../../vault-enclave/state";
import {
  bytes,
  codeOf,
  founded as foundedBy,
  type Harness,
  type HostStores,
  MemoryBlobs,
  MemoryWitness,
  memoryKms,
  type Person,
  PIN,
  person,
  startHarness,
} from "./harness";

describe("the version witness against a host that replays old state", () => {
  let alice: Person;
  let tablet: Person;
  let clock = Date.now();
  const open: Harness[] = [];

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    tablet = await person("dev-tablet");
    clock = Date.now();
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  async function start(options: { witness?: boolean; stores?: HostStores } = {}): Promise<Harness> {
    const h = await startHarness([alice.vaultId], { now: () => clock, ...options });
    open.push(h);
    return h;
  }

  /** The runtime restarts over the host's stores. */
  async function restart(h: Harness): Promise<Harness> {
    await h.close();
    open.splice(open.indexOf(h), 1);
    return start({ stores: h.stores });
  }

  async function founded(h: Harness): Promise<VaultClient> {
    const device = await foundedBy(h, alice);
    await device.call("items.put", { op: "items.put", name: "bank", type: "secret", value: bytes("CANARY-42") });
    return device;
  }

  /** What the host kept of the vault's state blob now. */
  const keep = (h: Harness) => {
    const object = h.blobs.objects.get(stateBlobKey(alice.vaultId));
    if (!object) throw new Error("no state blob");
    return { data: new Uint8Array(object.data), version: object.version };
  };
  /** The host serves `kept` as the vault's state again (with a fresh ETag, as a store would). */
  const replay = (h: Harness, kept: { data: Uint8Array }) =>
    h.blobs.objects.set(stateBlobKey(alice.vaultId), { data: new Uint8Array(kept.data), version: "replayed" });

  /** A thief's stolen device, its memory of the vault cleared so it checks nothing itself. */
  const thief = (h: Harness) => h.client(alice, { memory: { stateVersion: 0 } });
  const guess = (device: VaultClient, pin: string) => codeOf(device.call("vault.unlock", { op: "vault.unlock", pin }));

  async function guessesThenReplay(witness: boolean): Promise<string[]> {
    let h = await start({ witness });
    const owner = await founded(h);
    await owner.call("vault.lock", { op: "vault.lock" });
    const before = keep(h);
    const stolen = thief(h);
    for (const pin of ["000001", "000002", "000003"]) expect(await guess(stolen, pin)).toBe("PIN_INCORRECT");
    h = await restart(h);
    replay(h, before);
    clock += 60_000; // past any back-off
    const again = thief(h);
    return [await guess(again, "000004"), await guess(again, "000005"), await guess(again, "000006")];
  }

  it("refuses an outer state replayed after wrong PIN guesses, where without a witness it resets the counter", async () => {
    // Without a witness the replay gives the thief two free guesses again (the attack).
    expect(await guessesThenReplay(false)).toEqual(["PIN_INCORRECT", "PIN_INCORRECT", "PIN_INCORRECT"]);
    // With one, the runtime sees the blob is older than the version it recorded.
    expect(await guessesThenReplay(true)).toEqual(["STALE_STATE", "STALE_STATE", "STALE_STATE"]);
  });

  async function revokedThenReplay(witness: boolean): Promise<string> {
    let h = await start({ witness });
    const owner = await founded(h);
    const { identityKey } = await owner.call("vault.status", { op: "vault.status" });
    const { secret } = await owner.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const joining = h.client(alice, { as: tablet });
    await joining.joinPairing({
      secret,
      signingKey: tablet.signing.publicKey,
      label: "tablet",
      identityFingerprint: identityFingerprint(identityKey as Uint8Array),
    });
    await owner.call("device.approve", { op: "device.approve", deviceId: tablet.deviceId, pin: PIN });
    const approved = keep(h);
    await owner.call("device.revoke", { op: "device.revoke", deviceId: tablet.deviceId, pin: PIN });
    h = await restart(h);
    replay(h, approved);
    const back = h.client(alice, { as: tablet, memory: { stateVersion: 0 } });
    return codeOf(
      back
        .call("vault.unlock", { op: "vault.unlock", pin: PIN })
        .then(() => back.call("items.get", { op: "items.get", name: "bank" })),
    );
  }

  it("refuses a state replayed from before a device was revoked, where without a witness the device reads again", async () => {
    expect(await revokedThenReplay(false)).toBe("OK");
    expect(await revokedThenReplay(true)).toBe("STALE_STATE");
  });

  it("refuses the state of a vault served as absent once the witness has seen it", async () => {
    let h = await start({ witness: true });
    await founded(h);
    h = await restart(h);
    h.blobs.objects.delete(stateBlobKey(alice.vaultId));
    // the committed device could otherwise found the vault again over its old id
    expect(await codeOf(thief(h).call("vault.status", { op: "vault.status" }))).toBe("STALE_STATE");
  });

  it("stops the vault while the host blocks the witness: no PIN is checked, nothing resets, and it resumes after", async () => {
    const h = await start({ witness: true });
    const owner = await founded(h);
    await owner.call("vault.lock", { op: "vault.lock" });
    const stolen = thief(h);
    expect(await guess(stolen, "000001")).toBe("PIN_INCORRECT");
    const witness = h.stores.witness as MemoryWitness;
    const recorded = witness.records.get(alice.vaultId)!.record;
    expect(recorded.failures).toBe(1);

    // Act: the host drops the enclave's witness connection.
    witness.blocked = true;
    const blocked = [await guess(stolen, "000002"), await guess(stolen, PIN), await guess(thief(h), "000003")];
    witness.blocked = false;

    // Assess: nothing was checked while it was blocked (the right PIN did not open either),
    // and the counter only ever grew: the attempt whose record failed is not counted.
    expect(blocked).toEqual(["UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"]);
    expect(witness.records.get(alice.vaultId)!.record.failures).toBeGreaterThanOrEqual(1);
    expect(await guess(thief(h), PIN)).toBe("OK");
  });

  it("records a state newer than the witness when it loads it, before serving it, so the state before it is refused after", async () => {
    // Prepare: a write lands in the blob store but not in the witness (the host dropped the record)
    let h = await start({ witness: true });
    const owner = await founded(h);
    const before = keep(h);
    const witness = h.stores.witness as MemoryWitness;
    witness.failNextRecord = true;
    const refused = await codeOf(
      owner.call("items.put", { op: "items.put", name: "wifi", type: "secret", value: bytes("landed, unrecorded") }),
    );
    const landed = keep(h);

    // Act: restarted, the runtime is served the newer state and reads the vault's status
    // (no write); restarted again, it is served the state from before that write
    h = await restart(h);
    replay(h, landed);
    await h.client(alice, { memory: { stateVersion: 0 } }).call("vault.status", { op: "vault.status" });
    const recorded = witness.records.get(alice.vaultId)?.record.stateVersion;
    h = await restart(h);
    replay(h, before);
    const older = await codeOf(
      h.client(alice, { memory: { stateVersion: 0 } }).call("vault.status", { op: "vault.status" }),
    );

    // Assess: the load recorded the newer state; the one before it cannot come back
    expect(refused).toBe("UNAVAILABLE");
    expect(recorded).toBe(parseStateBlob(landed.data).stateVersion);
    expect(older).toBe("STALE_STATE");
  });

  it("keeps the unlock through a witness outage: the write is refused, then recorded before the next operation", async () => {
    const h = await start({ witness: true });
    const owner = await founded(h);
    const witness = h.stores.witness as MemoryWitness;

    // Act: the witness stops answering between the operation's read of it and its record
    // of the write, then one answer is lost after it stored the record.
    witness.failNextRecord = true;
    const refused = await codeOf(
      owner.call("items.put", { op: "items.put", name: "wifi", type: "secret", value: bytes("guest") }),
    );
    const got = await owner.call("items.get", { op: "items.get", name: "bank" });
    witness.loseNextAnswer = true;
    const lost = await codeOf(
      owner.call("items.put", { op: "items.put", name: "mail", type: "secret", value: bytes("m") }),
    );
    const { stateVersion } = await owner.call("vault.status", { op: "vault.status" });

    // Assess: no PIN asked again; the record caught up with the state each time.
    expect([refused, lost]).toEqual(["UNAVAILABLE", "UNAVAILABLE"]);
    expect(Buffer.from(got.item.value).toString()).toBe("CANARY-42");
    expect(witness.records.get(alice.vaultId)?.record.stateVersion).toBe(stateVersion);
    const { items } = await owner.call("items.list", { op: "items.list" });
    expect(items.map((i) => i.name).sort()).toEqual(["bank", "mail", "wifi"]);
  });

  it("cannot tell a blob and a witness record rewound together: what the host plus the NATS operators can still do", async () => {
    // What a host plus the NATS operators can still do (docs/security-invariants.md):
    // rewind both the blob and the witness record together. The test pins that limit.
    let h = await start({ witness: true });
    const owner = await founded(h);
    await owner.call("vault.lock", { op: "vault.lock" });
    const before = keep(h);
    const witnessedBefore = { ...(h.stores.witness as MemoryWitness).records.get(alice.vaultId)! };
    for (const pin of ["000001", "000002", "000003"]) expect(await guess(thief(h), pin)).toBe("PIN_INCORRECT");
    h = await restart(h);
    replay(h, before);
    (h.stores.witness as MemoryWitness).records.set(alice.vaultId, witnessedBefore);
    clock += 60_000;
    expect(await guess(thief(h), "000004")).toBe("PIN_INCORRECT");
  });

  it("wipes the new vault's root key when the witness does not record its creation", async () => {
    const kms = memoryKms();
    const issued: Uint8Array[] = [];
    const watched: HostStores["kms"] = {
      async generateDataKey(context) {
        const key = await kms.generateDataKey(context);
        issued.push(key.plaintext);
        return key;
      },
      decrypt: (blob, context) => kms.decrypt(blob, context),
    };
    const witness = new MemoryWitness();
    witness.record = async () => {
      throw new VettidError("UNAVAILABLE", "the version witness did not record the state");
    };
    const h = await start({ stores: { blobs: new MemoryBlobs(), kms: watched, witness } });
    expect(await codeOf(foundedBy(h, alice))).toBe("UNAVAILABLE");
    expect(issued).toHaveLength(1);
    expect(issued[0]!.every((b) => b === 0)).toBe(true);
  });
});

/**
 * One live owner per vault (decision 0071) with two runtimes over the same host stores,
 * version witness and lease table, every request delivered to both (as NATS delivers
 * to both proxies): only the owner answers; when it dies another takes the vault over
 * once its lease lapses, with every acknowledged write; the old owner, resumed, serves
 * nothing more.
 */

import { randomBytes } from "node:crypto";
import { VaultClient, type VaultMemory } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { VettidError } from "../../../../lib/errors";
import { handshakeKeyDigest } from "../../../../lib/handshake";
import { encodeDeviceMessage, parseDeviceMessage, parseEnclaveMessage } from "../../../../lib/vault-protocol/messages";
import { LEASE_CLOCK_SKEW_MS, LEASE_TTL_MS } from "../../../../vault-enclave/lease";
import {
  bytes,
  codeOf,
  founded,
  type Harness,
  MemoryBlobs,
  MemoryLeaseTable,
  MemoryWitness,
  memoryKms,
  type Person,
  PIN,
  person,
  startHarness,
  startRuntimes,
} from "./harness";

const A = "a".repeat(32);
const B = "b".repeat(32);
const C = "c".repeat(32);

/** `p`, or a TIMEOUT after `ms` (what a device's transport gives when nobody answers). */
const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new VettidError("TIMEOUT", "no answer")), ms)),
  ]);

describe("failover between two runtimes (in-memory host)", () => {
  let alice: Person;
  let clock = Date.now();
  const open: Harness[] = [];

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    clock = Date.now();
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  /** Two runtimes over one set of host stores, witness and lease table (a is A, b is B), one enclave image. */
  async function twoRuntimes(): Promise<[Harness, Harness]> {
    const [a, b] = (await startRuntimes(2, [alice.vaultId], () => clock)) as [Harness, Harness];
    open.push(a, b);
    return [a, b];
  }

  /** A device whose every message goes to each of `runtimes`; the first answer wins. */
  function device(h: Harness, runtimes: Harness[]): VaultClient {
    return new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => Promise.any(runtimes.map((r) => r.deliver(alice.vaultId, alice.deviceId, data))),
      // the runtimes' clock, which this test moves: the documents are dated by it
      attestation: { trustedRoots: [h.nsm.rootCertificatePem], manifest: h.manifest, time: new Date(clock) },
      memory: { stateVersion: 0 },
    });
  }

  it("serves from the owner only, fails over once its lease lapses with every acknowledged write, and the old owner stays out", async () => {
    // Prepare: two runtimes, one set of host stores, one witness, one lease table; both
    // are the same enclave image (one simulated NSM): the device trusts either
    const [a, b] = await twoRuntimes();
    const phone = device(a, [a, b]);
    await phone.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    for (const name of ["bank", "mail", "wifi"]) {
      await phone.call("items.put", { op: "items.put", name, type: "secret", value: bytes(`${name}-secret`) });
    }
    const [owner, other] = a.runtime.leaseCount === 1 ? [a, b] : [b, a];
    expect([owner.runtime.leaseCount, other.runtime.leaseCount]).toEqual([1, 0]);

    // Act: the owner dies (no more deliveries, no renewals); its lease lapses.
    clock += LEASE_TTL_MS + LEASE_CLOCK_SKEW_MS + 1;
    const again = device(other, [other]);
    await again.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const items = await again.call("items.list", { op: "items.list" });
    await again.call("items.put", { op: "items.put", name: "after", type: "secret", value: bytes("failover") });

    // Assess: the other runtime took the vault over with every acknowledged write.
    expect(other.runtime.leaseCount).toBe(1);
    expect(items.items.map((i) => i.name).sort()).toEqual(["bank", "mail", "wifi"]);
    // The old owner, resumed, no longer answers its old session (its renewal fails, the lease is the other's).
    await owner.runtime.renewLeases();
    expect(owner.runtime.leaseCount).toBe(0);
    const stale = phone.call("items.put", { op: "items.put", name: "stale", type: "secret", value: bytes("x") });
    const outcome = await Promise.race([
      codeOf(stale),
      new Promise((resolve) => setTimeout(() => resolve("no answer"), 200)),
    ]);
    expect(outcome).not.toBe("OK");
    const names = (await again.call("items.list", { op: "items.list" })).items.map((i) => i.name).sort();
    expect(names).toEqual(["after", "bank", "mail", "wifi"]);
  });
  it("takes no lease for a malformed message, and gives up the leases of vaults nobody uses, so forged vault ids cost no standing KV writes", async () => {
    // Prepare: a runtime serving every vault, with a lease table that counts its writes.
    const table = new MemoryLeaseTable(A, () => clock);
    let writes = 0;
    const counting = {
      acquire: (v: string) => {
        writes += 1;
        return table.acquire(v);
      },
      renew: (l: Parameters<typeof table.renew>[0]) => {
        writes += 1;
        return table.renew(l);
      },
      release: (l: Parameters<typeof table.release>[0]) => table.release(l),
      peek: (v: string) => table.peek(v),
    };
    const h = await startHarness([], { now: () => clock, witness: true, leases: { table: counting, self: A } });
    open.push(h);
    await h.runtime.serveAs("all");
    const forged = Array.from({ length: 20 }, () => `vlt_${randomBytes(16).toString("hex")}`);

    // Act: the host delivers garbage, then an attestation request, for each forged vault id.
    for (const vaultId of forged) void h.deliver(vaultId, "dev-x", new Uint8Array([1, 2, 3]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const afterGarbage = h.runtime.leaseCount;
    await Promise.all(
      forged.map((vaultId) =>
        h.deliver(vaultId, "dev-x", encodeDeviceMessage({ t: "attest", nonce: new Uint8Array(randomBytes(32)) })),
      ),
    );
    await h.runtime.sweep();
    const before = writes;
    await h.runtime.renewLeases();
    await h.runtime.renewLeases();

    // Assess: no lease for garbage; none kept, and none renewed, for vaults nobody uses.
    expect(afterGarbage).toBe(0);
    expect(h.runtime.leaseCount).toBe(0);
    expect(writes).toBe(before);
  });

  it("takes a free vault's lease only for a device the vault admits: a host's attestation requests, forged handshakes and stray sealed messages take none", async () => {
    // Prepare: Alice's vault founded on runtime b, which then stops (its lease given up);
    // runtime a, whose host is the attacker, serves it over the same stores.
    const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new MemoryWitness() };
    const table = new MemoryLeaseTable(B, () => clock);
    const b = await startHarness([alice.vaultId], { now: () => clock, stores, leases: { table, self: B } });
    await founded(b, alice);
    await b.close();
    const a = await startHarness([alice.vaultId], {
      now: () => clock,
      stores,
      nsm: b.nsm,
      leases: { table: table.as(A), self: A },
    });
    open.push(a);
    const free = async () => (await table.as(B).peek(alice.vaultId)) === undefined;

    // Act 1: the host hands its enclave attestation requests for Alice's vault.
    const attested = await Promise.all(
      Array.from({ length: 3 }, () =>
        a.deliver(
          alice.vaultId,
          "dev-mallory",
          encodeDeviceMessage({ t: "attest", nonce: new Uint8Array(randomBytes(32)) }),
        ),
      ),
    );
    // Assess: answered (the vault has no live owner), but no lease taken.
    expect(attested.every((m) => m.length > 0)).toBe(true);
    expect(a.runtime.leaseCount).toBe(0);
    expect(await free()).toBe(true);

    // Act 2: a handshake with a device key the host made itself, named as a device of Alice's vault.
    const mallory = await person("dev-mallory");
    const forged = a.client({ ...mallory, vaultId: alice.vaultId, vaultSalt: alice.vaultSalt });
    const refused = await codeOf(forged.call("vault.status", { op: "vault.status" }));
    // Assess: refused, and no lease taken (the vault's devices are read first).
    expect(refused).not.toBe("OK");
    expect(a.runtime.leaseCount).toBe(0);
    expect(await free()).toBe(true);

    // Act 3: a sealed message for a session the runtime never opened.
    const stray = a.deliver(
      alice.vaultId,
      alice.deviceId,
      encodeDeviceMessage({ t: "sealed", session: "s".repeat(32), envelope: new Uint8Array(64) }),
    );
    // Assess: refused as a session it does not hold (the device would attest again), no lease.
    expect(parseEnclaveMessage(await stray)).toMatchObject({ t: "error", code: "UNAUTHENTICATED" });
    expect(a.runtime.leaseCount).toBe(0);
    expect(await free()).toBe(true);

    // Alice's own device is served by a, which takes the lease for her.
    const phone = a.client(alice);
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    expect(a.runtime.leaseCount).toBe(1);
    expect(await free()).toBe(false);
  });

  it("answers a handshake only from the runtime that issued its attestation, when two may take a free vault", async () => {
    // Prepare: two runtimes, Alice's vault founded on a third that then stopped.
    const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new MemoryWitness() };
    const table = new MemoryLeaseTable(C, () => clock);
    const c = await startHarness([alice.vaultId], { now: () => clock, stores, leases: { table, self: C } });
    await founded(c, alice);
    await c.close();
    const a = await startHarness([alice.vaultId], {
      now: () => clock,
      stores,
      nsm: c.nsm,
      leases: { table: table.as(A), self: A },
    });
    const b = await startHarness([alice.vaultId], {
      now: () => clock,
      stores,
      nsm: c.nsm,
      leases: { table: table.as(B), self: B },
    });
    open.push(a, b);
    let answers = 0;
    const counted = (h: Harness) => (data: Uint8Array) =>
      h.deliver(alice.vaultId, alice.deviceId, data).then((m) => {
        answers += 1;
        return m;
      });

    // Act: every message to both; the device takes the first answer.
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => Promise.any([counted(a)(data), counted(b)(data)]),
      attestation: { trustedRoots: [c.nsm.rootCertificatePem], manifest: c.manifest, time: new Date(clock) },
      memory: { stateVersion: 0 },
    });
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess: one lease, one owner; the attestation answered by both, the handshake and
    // the operation by the owner alone.
    expect(a.runtime.leaseCount + b.runtime.leaseCount).toBe(1);
    expect(answers).toBe(4);
  });

  it("shows a vault's owner what another runtime wrote to it: a recovery started on the new vault's owner is seen on the source vault's, its unlock kept", async () => {
    // Prepare: Alice's vault owned by runtime a, the new vault of her recovery by runtime b.
    const nina = await person("dev-nina");
    const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new MemoryWitness() };
    const table = new MemoryLeaseTable(A, () => clock);
    const options = { now: () => clock, stores, recoveryDelayMs: 60_000 };
    const a = await startHarness([alice.vaultId, nina.vaultId], { ...options, leases: { table, self: A } });
    const b = await startHarness([alice.vaultId, nina.vaultId], {
      ...options,
      nsm: a.nsm,
      leases: { table: table.as(B), self: B },
    });
    open.push(a, b);
    const phone = a.client(alice);
    const init = await phone.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    await phone.call("items.put", { op: "items.put", name: "bank", type: "secret", value: bytes("b") });
    const { backup } = await phone.call("backup.export", {
      op: "backup.export",
      pin: PIN,
      recoverySecret: init.recoverySecret,
    });
    const before = await phone.call("vault.status", { op: "vault.status" });

    // Act: the new device asks runtime b, which owns the new vault, to start the recovery.
    const newDevice = b.client(nina);
    await newDevice.call("recovery.start", {
      op: "recovery.start",
      backup,
      recoverySecret: init.recoverySecret,
      signingKey: nina.signing.publicKey,
      vaultSalt: nina.vaultSalt,
      pin: PIN,
    });
    const seen = await phone.call("vault.status", { op: "vault.status" });
    const log = await phone.readAudit();

    // Assess: runtime a read the source vault again (the witness named a later write);
    // that write changed the outer layer only, so the phone's unlock stayed
    expect(before.recovery).toBeNull();
    expect(seen.recovery).toMatchObject({ targetVaultId: nina.vaultId });
    expect(log.entries.at(-1)?.kind).toBe("recovery.started");
  });

  it("drops the sessions and keys of a vault another runtime retired by completing its recovery", async () => {
    // Prepare: Alice's vault owned by runtime a; her recovery into Nina's vault run on b
    const nina = await person("dev-nina");
    const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new MemoryWitness() };
    const table = new MemoryLeaseTable(A, () => clock);
    const options = { now: () => clock, stores, recoveryDelayMs: 60_000 };
    const a = await startHarness([alice.vaultId, nina.vaultId], { ...options, leases: { table, self: A } });
    const b = await startHarness([alice.vaultId, nina.vaultId], {
      ...options,
      nsm: a.nsm,
      leases: { table: table.as(B), self: B },
    });
    open.push(a, b);
    const phone = a.client(alice);
    const init = await phone.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    const { backup } = await phone.call("backup.export", {
      op: "backup.export",
      pin: PIN,
      recoverySecret: init.recoverySecret,
    });
    const newDevice = b.client(nina);
    const fields = {
      backup,
      recoverySecret: init.recoverySecret,
      signingKey: nina.signing.publicKey,
      vaultSalt: nina.vaultSalt,
      pin: PIN,
    };
    await newDevice.call("recovery.start", { op: "recovery.start", ...fields });
    clock += 60_000;
    await newDevice.call("recovery.complete", { op: "recovery.complete", ...fields });
    const sessionsBefore = a.runtime.sessionCount;

    // Act: the phone's next request reaches runtime a, which reads the vault again; then
    // the one after
    const refused = await codeOf(phone.call("items.list", { op: "items.list" }));
    const sessionsAfter = a.runtime.sessionCount;
    const next = await codeOf(phone.call("items.list", { op: "items.list" }));

    // Assess: refused, and runtime a holds no session (nor, with none, an opened layer)
    // of it; the device, told VAULT_RECOVERED, opened a new session for the next request
    // instead of sending it in the one that ended
    expect(sessionsBefore).toBe(1);
    expect(["VAULT_RECOVERED", "UNAUTHENTICATED"]).toContain(refused);
    expect(sessionsAfter).toBe(0);
    expect(next).toBe("VAULT_RECOVERED");
  });
  it("takes a vault from an owner whose host drops every answer but its attestations, once the device found it silent, with every acknowledged write", async () => {
    // Prepare: two runtimes over one set of host stores; the device's messages go to both
    const [a, b] = await twoRuntimes();
    let hostile: Harness | undefined;
    /** What reaches the device from `r`: the hostile host strips `avoid` for its enclave and passes only its attestations on. */
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (r !== hostile) return r.deliver(alice.vaultId, alice.deviceId, data);
      const message = parseDeviceMessage(data);
      const sent = message.t === "attest" ? encodeDeviceMessage({ t: "attest", nonce: message.nonce }) : data;
      const answer = await r.deliver(alice.vaultId, alice.deviceId, sent);
      return parseEnclaveMessage(answer).t === "attestation" ? answer : new Promise<Uint8Array>(() => undefined);
    };
    const runtimes = [a, b];
    let memory: VaultMemory = { stateVersion: 0 };
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => within(300, Promise.any(runtimes.map((r) => via(r, data)))),
      gather: async function* gather(data) {
        const heard = await Promise.allSettled(runtimes.map((r) => within(200, via(r, data))));
        for (const h of heard) if (h.status === "fulfilled") yield h.value;
      },
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory,
      remember: (known) => {
        memory = known;
      },
    });
    await phone.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    for (const name of ["bank", "mail", "wifi"]) {
      await phone.call("items.put", { op: "items.put", name, type: "secret", value: bytes(`${name}-secret`) });
    }
    const [owner, other] = a.runtime.leaseCount === 1 ? [a, b] : [b, a];

    // Act: the owner's host turns hostile; its enclave lives on and renews its lease
    hostile = owner;
    const silent = await codeOf(phone.call("items.list", { op: "items.list" }));
    const noted = memory.silent?.length;
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await phone.call("items.put", { op: "items.put", name: "after", type: "secret", value: bytes("taken over") });
    const items = await phone.call("items.list", { op: "items.list" });
    await owner.runtime.renewLeases();

    // Assess: the device found the owner silent, opened its next session with the other
    // runtime, which took the lease at once with every acknowledged write; the owner's
    // next renewal failed; the device keeps avoiding the silent enclave for a while
    expect(silent).toBe("TIMEOUT");
    expect(noted).toBe(1);
    expect(items.items.map((i) => i.name).sort()).toEqual(["after", "bank", "mail", "wifi"]);
    expect([other.runtime.leaseCount, owner.runtime.leaseCount]).toEqual([1, 0]);
    expect(memory.silent?.length).toBe(1);
  });

  it("answers an attestation that names this enclave in avoid with nothing, and one that names another from a non-owner, taking no lease", async () => {
    // Prepare: a owns the vault
    const [a, b] = await twoRuntimes();
    await founded(a, alice);
    const attest = async (r: Harness, avoid?: Uint8Array[]) => {
      const nonce = new Uint8Array(randomBytes(32));
      const sent = encodeDeviceMessage(avoid ? { t: "attest", nonce, avoid } : { t: "attest", nonce });
      const answer = await Promise.race([
        r.deliver(alice.vaultId, alice.deviceId, sent),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
      ]);
      return answer && parseEnclaveMessage(answer);
    };
    const first = await attest(a);
    const digestOf = (m: Awaited<ReturnType<typeof attest>>) =>
      m?.t === "attestation" ? handshakeKeyDigest(m.x25519, m.mlkem) : new Uint8Array(32);
    const aKeys = digestOf(first);

    // Act
    const ownerAvoided = await attest(a, [aKeys]);
    const otherPlain = await attest(b);
    const otherAsked = await attest(b, [aKeys]);
    const otherAvoided = await attest(b, [digestOf(otherAsked)]);

    // Assess: the avoided owner stays quiet; the other answers only when asked to avoid
    // another, and stays quiet when it is the one named; no lease moved
    expect(first?.t).toBe("attestation");
    expect(ownerAvoided).toBeUndefined();
    expect(otherPlain).toBeUndefined();
    expect(otherAsked?.t).toBe("attestation");
    expect(otherAvoided).toBeUndefined();
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([1, 0]);
  });

  it("takes no lease for a take-over asked by a key the vault does not admit, nor by a replay of an admitted device's take-over", async () => {
    // Prepare: a owns alice's vault; mallory holds an enrolled key of her own
    const [a, b] = await twoRuntimes();
    await founded(a, alice);
    const mallory = await person("dev-mallory");
    /** The digest of a's handshake keys, from an attestation of a (what the device would call silent). */
    const avoidA = async () => {
      const nonce = new Uint8Array(randomBytes(32));
      const answer = parseEnclaveMessage(
        await a.deliver(alice.vaultId, alice.deviceId, encodeDeviceMessage({ t: "attest", nonce })),
      );
      return answer.t === "attestation" ? [handshakeKeyDigest(answer.x25519, answer.mlkem)] : [];
    };
    const silent = (await avoidA()).map((d) => ({ digest: Buffer.from(d).toString("base64url"), at: Date.now() }));
    let captured: Uint8Array | undefined;
    const as = (who: Person, record?: boolean) =>
      new VaultClient({
        vaultId: alice.vaultId,
        deviceId: alice.deviceId,
        deviceKey: who.exchange,
        transport: async (data) => {
          const message = parseDeviceMessage(data);
          if (record && message.t === "handshake") captured = data;
          return within(300, b.deliver(alice.vaultId, alice.deviceId, data));
        },
        attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
        memory: { stateVersion: 0, silent },
        timeoutMs: 300,
      });

    // Act: mallory's key asks b to take the vault over; then alice's own take-over is replayed
    const refused = await codeOf(as(mallory).call("vault.status", { op: "vault.status" }));
    const afterMallory = [a.runtime.leaseCount, b.runtime.leaseCount];
    await as(alice, true).call("vault.status", { op: "vault.status" });
    const afterAlice = [a.runtime.leaseCount, b.runtime.leaseCount];
    await a.runtime.renewLeases();
    const replayed = await Promise.race([
      b.deliver(alice.vaultId, alice.deviceId, captured as Uint8Array).then((r) => parseEnclaveMessage(r).t),
      new Promise((resolve) => setTimeout(() => resolve("no answer"), 100)),
    ]);

    // Assess: mallory's take-over took nothing; alice's moved the lease to b, and a's
    // renewal then failed; the replayed handshake names a spent attestation
    expect(refused).not.toBe("OK");
    expect(afterMallory).toEqual([1, 0]);
    expect(afterAlice).toEqual([1, 1]);
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([0, 1]);
    expect(replayed).not.toBe("handshake");
  });
  it("keeps an owner whose lease was taken over from answering the new owner's session, and has it give the vault up at once", async () => {
    // Prepare: a owns alice's vault; her device takes it over at b (it found a silent)
    const [a, b] = await twoRuntimes();
    await founded(a, alice);
    const probe = parseEnclaveMessage(
      await a.deliver(
        alice.vaultId,
        alice.deviceId,
        encodeDeviceMessage({ t: "attest", nonce: new Uint8Array(randomBytes(32)) }),
      ),
    );
    const silent =
      probe.t === "attestation"
        ? [{ digest: Buffer.from(handshakeKeyDigest(probe.x25519, probe.mlkem)).toString("base64url"), at: Date.now() }]
        : [];
    let sealed: Uint8Array | undefined;
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => {
        if (parseDeviceMessage(data).t === "sealed") sealed = data;
        return b.deliver(alice.vaultId, alice.deviceId, data);
      },
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory: { stateVersion: 0, silent },
    });
    await phone.call("vault.status", { op: "vault.status" });
    const before = [a.runtime.leaseCount, b.runtime.leaseCount];

    // Act: the new session's message reaches the old owner too (NATS delivers it to every host)
    const oldOwner = await Promise.race([
      a.deliver(alice.vaultId, alice.deviceId, sealed as Uint8Array).then((r) => parseEnclaveMessage(r)),
      new Promise((resolve) => setTimeout(() => resolve("no answer"), 100)),
    ]);

    // Assess: both held the lease in their own view; the old owner read the table, gave
    // the vault up without waiting for its renewal, and did not answer
    expect(before).toEqual([1, 1]);
    expect(oldOwner).toBe("no answer");
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([0, 1]);
  });
});

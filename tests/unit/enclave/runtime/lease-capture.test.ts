/**
 * A host that keeps a vault's lease on its own enclave with a key the vault does not
 * admit (decision 0077): a forged handshake (a key the host made, for a device id of its
 * choice) while the host stalls its enclave's state reads (it answers the blob channel).
 * The lease is taken only once the vault admitted the key, so the stall holds nothing,
 * and the vault's own device is served by an honest runtime meanwhile. Before a vault
 * has state, only the key its id commits to is admitted, so a host cannot squat a new
 * vault's lease either.
 */
import { VaultClient } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { LEASE_RENEW_MS } from "../../../../vault-enclave/lease";
import {
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
} from "./harness";

const A = "a".repeat(32);
const B = "b".repeat(32);
const C = "c".repeat(32);

/** The host's own view of the shared blob store: it may hold every read of its enclave. */
class StallingBlobs extends MemoryBlobs {
  private stalled: Promise<void> | undefined;
  private go: (() => void) | undefined;

  constructor(private readonly base: MemoryBlobs) {
    super();
  }

  stallReads(): void {
    this.stalled = new Promise((resolve) => {
      this.go = resolve;
    });
  }

  releaseReads(): void {
    this.go?.();
    this.stalled = undefined;
  }

  override async get(key: string) {
    if (this.stalled) await this.stalled;
    return this.base.get(key);
  }

  override put(key: string, data: Uint8Array, expectedVersion: string | null) {
    return this.base.put(key, data, expectedVersion);
  }
}

const within = (work: Promise<unknown>, ms: number) =>
  Promise.race([codeOf(work), new Promise((resolve) => setTimeout(() => resolve("no answer"), ms))]);

describe("a host that stalls its enclave's state reads keeps no lease for a forged handshake (decision 0077)", () => {
  let alice: Person;
  let clock = Date.now();
  const open: Harness[] = [];
  let release: (() => void) | undefined;

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    clock = Date.now();
  });
  afterEach(async () => {
    release?.();
    release = undefined;
    for (const h of open.splice(0)) await h.close();
  });

  /** Alice's vault founded on a third runtime that stopped (its lease given up), and runtimes a (the attacker's host) and b (honest). */
  async function setting(aBlobs?: (shared: MemoryBlobs) => MemoryBlobs) {
    const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new MemoryWitness() };
    const table = new MemoryLeaseTable(C, () => clock);
    const c = await startHarness([alice.vaultId], { now: () => clock, stores, leases: { table, self: C } });
    await founded(c, alice);
    await c.close();
    const a = await startHarness([alice.vaultId], {
      now: () => clock,
      stores: { ...stores, blobs: aBlobs ? aBlobs(stores.blobs) : stores.blobs },
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
    return { a, b, c };
  }

  function phone(c: Harness, transport: (data: Uint8Array) => Promise<Uint8Array>): VaultClient {
    return new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport,
      attestation: { trustedRoots: [c.nsm.rootCertificatePem], manifest: c.manifest, time: new Date(clock) },
      memory: { stateVersion: 0 },
    });
  }

  /** `n` renewal periods pass, the runtimes' renewal timers firing. */
  async function periods(n: number, ...hs: Harness[]) {
    for (let i = 0; i < n; i++) {
      clock += LEASE_RENEW_MS;
      for (const h of hs) await h.runtime.renewLeases();
    }
  }

  it("takes no lease for a key the vault does not admit, however long the host stalls the state read", async () => {
    // Prepare: the attacker's host answers its enclave's blob reads as it likes.
    let hostBlobs: StallingBlobs | undefined;
    const { a, b, c } = await setting((shared) => {
      hostBlobs = new StallingBlobs(shared);
      return hostBlobs;
    });
    const stalling = hostBlobs as StallingBlobs;
    release = () => stalling.releaseReads();

    // Act: the host stalls its enclave's state reads and hands it a handshake with a key
    // of its own for a device id it made up (its own attestation request first).
    stalling.stallReads();
    const mallory = await person("dev-mallory");
    const forged = a.client({ ...mallory, vaultId: alice.vaultId, vaultSalt: alice.vaultSalt });
    void codeOf(forged.call("vault.status", { op: "vault.status" }));
    for (let i = 0; i < 50 && a.runtime.leaseCount === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const tookIt = a.runtime.leaseCount;
    // ten lease times pass (the attacker's runtime renewing on its timer)
    await periods(40, a, b);

    // Alice's phone, through honest hosts (b) only.
    const outcome = await within(
      phone(c, (data) => b.deliver(alice.vaultId, alice.deviceId, data)).call("vault.unlock", {
        op: "vault.unlock",
        pin: PIN,
      }),
      500,
    );

    // Assess: the forged handshake took no lease while its read was stalled; Alice is served by b.
    expect(tookIt).toBe(0);
    expect(outcome).toBe("OK");
    expect(a.runtime.leaseCount).toBe(0);
  });

  it("lets a new vault be founded through an honest runtime: a key its id does not commit to opens no session and takes no lease", async () => {
    // Prepare: Alice's vault id is known (her phone's first attestation request on NATS), no state yet.
    const table = new MemoryLeaseTable(A, () => clock);
    const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new MemoryWitness() };
    const a = await startHarness([alice.vaultId], { now: () => clock, stores, leases: { table, self: A } });
    const b = await startHarness([alice.vaultId], {
      now: () => clock,
      stores,
      nsm: a.nsm,
      leases: { table: table.as(B), self: B },
    });
    open.push(a, b);

    // Act: the attacker's host opens a session with a key it made for Alice's vault id
    // (with an opening of its own signing key and her salt), and tries again and again.
    const mallory = await person("dev-mallory");
    const squatter = a.client({ ...mallory, vaultId: alice.vaultId, vaultSalt: alice.vaultSalt });
    const tries: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      tries.push(await codeOf(squatter.call("vault.status", { op: "vault.status" })));
      await periods(4, a, b);
    }
    // Alice's phone, through honest hosts (b) only, founds her vault.
    const init = await within(
      phone(a, (data) => b.deliver(alice.vaultId, alice.deviceId, data)).call("vault.init", {
        op: "vault.init",
        pin: PIN,
        signingKey: alice.signing.publicKey,
        vaultSalt: alice.vaultSalt,
      }),
      500,
    );

    // Assess: the squatter is refused and holds nothing; Alice's init is served.
    expect(tries).toEqual(["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]);
    expect(a.runtime.leaseCount).toBe(0);
    expect(init).toBe("OK");
    expect(b.runtime.leaseCount).toBe(1);
  });
});

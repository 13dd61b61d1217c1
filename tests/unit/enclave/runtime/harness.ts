/**
 * The vault runtime over in-memory ports, for attacks that need to hold, reorder or
 * replay what the host carries: NATS messages go straight to `onMessage`, answers
 * come back through `respond`, the blob store is a map whose writes a test can hold,
 * and KMS is a map of data keys. The simulated NSM and the device side
 * (client/vault) are the real ones.
 */
import { randomBytes } from "node:crypto";
import { VaultClient, type VaultMemory } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { VettidError } from "../../../../lib/errors";
import type { Manifest } from "../../../../lib/manifest";
import type { ProxyNatsMessage } from "../../../../lib/proxy-client";
import { vaultRequestSubject } from "../../../../lib/subjects";
import { VAULT_SALT_BYTES, vaultIdFor } from "../../../../lib/vault-id";
import { createSimulatedNsm, devManifest, type SimulatedNsm } from "../../../../local/nsm-sim";
import {
  type AcquireResult,
  decideLease,
  type HeldLease,
  LEASE_TTL_MS,
  type LeaseRecord,
  type LeaseTable,
} from "../../../../vault-enclave/lease";
import type { RuntimePorts } from "../../../../vault-enclave/runtime/ports";
import { VaultRuntime } from "../../../../vault-enclave/runtime/vault-runtime";
import type { ChangeLog } from "../../../../vault-enclave/sync";
import type { VersionWitness, Witnessed, WitnessRecord } from "../../../../vault-enclave/witness";

/** UTF-8 bytes of `text`. */
export const bytes = (text: string) => new Uint8Array(Buffer.from(text));

/** The typed code a call fails with ("OK" when it succeeds), for attack tests to compare. */
export async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "OK";
  } catch (err) {
    return err instanceof VettidError ? err.code : String(err);
  }
}

/** Small Argon2id cost for tests only (the production default is 64 MiB, t=3). */
export const TEST_ARGON2 = { opsLimit: 1, memLimitBytes: 8 * 1024 };
export const PIN = "482915";

export interface Person {
  deviceId: string;
  vaultId: string;
  vaultSalt: Uint8Array;
  signing: { publicKey: Uint8Array; privateKey: Uint8Array };
  exchange: { publicKey: Uint8Array; privateKey: Uint8Array };
}

export async function person(deviceId: string): Promise<Person> {
  const s = await sodiumReady();
  const signing = s.crypto_sign_keypair();
  const exchange = s.crypto_box_keypair();
  const vaultSalt = s.randombytes_buf(VAULT_SALT_BYTES);
  return {
    deviceId,
    vaultId: vaultIdFor({ signingKey: signing.publicKey, exchangeKey: exchange.publicKey }, vaultSalt),
    vaultSalt,
    signing: { publicKey: signing.publicKey, privateKey: signing.privateKey },
    exchange: { publicKey: exchange.publicKey, privateKey: exchange.privateKey },
  };
}

/** A blob store the host controls: `hold()` keeps every write waiting until released. */
export class MemoryBlobs {
  readonly objects = new Map<string, { data: Uint8Array; version: string }>();
  private held: (() => void)[] | undefined;
  private counter = 0;

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  async get(key: string): Promise<{ data: Uint8Array; version: string } | undefined> {
    const object = this.objects.get(key);
    return object ? { data: new Uint8Array(object.data), version: object.version } : undefined;
  }

  async put(key: string, data: Uint8Array, expectedVersion: string | null): Promise<string> {
    if (this.held) await new Promise<void>((go) => this.held?.push(go));
    const current = this.objects.get(key);
    if ((current?.version ?? null) !== expectedVersion) throw new VettidError("VERSION_CONFLICT", "version moved");
    this.counter += 1;
    const version = `v${this.counter}`;
    this.objects.set(key, { data: new Uint8Array(data), version });
    return version;
  }
}

/**
 * A version witness in memory with the KV's compare-and-set, that the test can block
 * (the host dropping the enclave's witness connection) or rewind (what the NATS
 * operators could do to its store).
 */
export class MemoryWitness implements VersionWitness {
  readonly records = new Map<string, Witnessed>();
  blocked = false;
  /** Store the next record but answer as if the witness had not (a reply lost with a NATS node). */
  loseNextAnswer = false;
  /** Refuse the next record, as a connection lost between the read and the write would. */
  failNextRecord = false;
  private revision = 0;

  async read(vaultId: string): Promise<Witnessed | undefined> {
    if (this.blocked) throw new VettidError("UNAVAILABLE", "the version witness did not answer");
    return this.records.get(vaultId);
  }

  async record(record: WitnessRecord, expectedRevision: number | null): Promise<number> {
    if (this.blocked) throw new VettidError("UNAVAILABLE", "the version witness did not record the state");
    if (this.failNextRecord) {
      this.failNextRecord = false;
      throw new VettidError("UNAVAILABLE", "the version witness did not record the state");
    }
    if ((this.records.get(record.vaultId)?.revision ?? null) !== expectedRevision) {
      throw new VettidError("VERSION_CONFLICT", "another writer recorded the vault's state since it was read");
    }
    this.revision += 1;
    this.records.set(record.vaultId, { record: { ...record }, revision: this.revision });
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new VettidError("UNAVAILABLE", "the version witness did not answer");
    }
    return this.revision;
  }
}

/** A lease table in memory with the KV's compare-and-set (vault-enclave/lease), shared by "runtimes" of a test. */
export class MemoryLeaseTable implements LeaseTable {
  private readonly leases = new Map<string, HeldLease>();
  private revision = 0;

  constructor(
    private readonly self: string,
    private readonly now: () => number,
    private readonly shared?: MemoryLeaseTable,
  ) {}

  /** The same store seen by another runtime. */
  as(self: string): MemoryLeaseTable {
    return new MemoryLeaseTable(self, this.now, this.root);
  }

  private get root(): MemoryLeaseTable {
    return this.shared ?? this;
  }

  async acquire(vaultId: string, options: { takeOver?: boolean } = {}): Promise<AcquireResult> {
    const current = this.root.leases.get(vaultId);
    const decision = decideLease(vaultId, this.self, current?.record, this.now(), undefined, options);
    if (decision.kind === "held") return { held: false, owner: decision.owner, expiresAt: decision.expiresAt };
    return { held: true, lease: this.root.put(decision.next) };
  }

  async peek(vaultId: string): Promise<{ owner: string; expiresAt: number; epoch: number } | undefined> {
    const current = this.root.leases.get(vaultId)?.record;
    const decision = decideLease(vaultId, this.self, current, this.now());
    return decision.kind === "held" && current
      ? { owner: decision.owner, expiresAt: decision.expiresAt, epoch: current.epoch }
      : undefined;
  }

  async renew(lease: HeldLease): Promise<HeldLease> {
    if (this.root.leases.get(lease.record.vaultId)?.revision !== lease.revision) {
      throw new VettidError("LEASE_LOST", "another runtime holds the vault's lease now");
    }
    return this.root.put({ ...lease.record, expiresAt: this.now() + LEASE_TTL_MS });
  }

  async release(lease: HeldLease): Promise<void> {
    if (this.root.leases.get(lease.record.vaultId)?.revision === lease.revision) {
      this.root.put({ ...lease.record, expiresAt: 0 });
    }
  }

  private put(record: LeaseRecord): HeldLease {
    this.revision += 1;
    const held = { record, revision: this.revision };
    this.leases.set(record.vaultId, held);
    return held;
  }
}

/** A KMS stand-in: random data keys, released again for their blob and the same encryption context. */
export function memoryKms(): RuntimePorts["kms"] {
  const keys = new Map<string, { key: Uint8Array; context: string }>();
  const canonical = (context: Record<string, string>) => JSON.stringify(Object.entries(context).sort());
  return {
    async generateDataKey(context) {
      const plaintext = new Uint8Array(randomBytes(32));
      const ciphertextBlob = new Uint8Array(randomBytes(48));
      keys.set(Buffer.from(ciphertextBlob).toString("hex"), {
        key: new Uint8Array(plaintext),
        context: canonical(context),
      });
      return { plaintext, ciphertextBlob };
    },
    async decrypt(blob, context) {
      const entry = keys.get(Buffer.from(blob).toString("hex"));
      if (!entry || entry.context !== canonical(context)) throw new VettidError("FORBIDDEN", "no such key");
      return new Uint8Array(entry.key);
    },
  };
}

/**
 * A change log in memory (vault-enclave/sync) whose messages the test can read and
 * rewrite as whoever runs NATS could: drop, repeat, reorder, insert. `blocked` makes it
 * stop answering.
 */
export class MemoryChangeLog implements ChangeLog {
  /** Every stored message in position order (positions from 1, never reused). */
  messages: { position: number; vaultId: string; data: Uint8Array }[] = [];
  blocked = false;
  private nextPosition = 1;

  async append(vaultId: string, data: Uint8Array): Promise<number> {
    if (this.blocked) throw new VettidError("UNAVAILABLE", "the change log did not store the event");
    const position = this.nextPosition++;
    this.messages.push({ position, vaultId, data: new Uint8Array(data) });
    return position;
  }

  async next(vaultId: string, from: number): Promise<{ position: number; data: Uint8Array } | undefined> {
    if (this.blocked) throw new VettidError("UNAVAILABLE", "the change log did not answer");
    const found = this.messages.find((m) => m.vaultId === vaultId && m.position >= from);
    return found ? { position: found.position, data: new Uint8Array(found.data) } : undefined;
  }

  /** Messages of `vaultId`, in position order. */
  of(vaultId: string) {
    return this.messages.filter((m) => m.vaultId === vaultId);
  }

  /** Stores `data` as the next message of `vaultId` (an operator's insert or repeat). */
  insert(vaultId: string, data: Uint8Array): void {
    this.messages.push({ position: this.nextPosition++, vaultId, data: new Uint8Array(data) });
  }
}

/** Every request the runtime was given, and a way to wait for its answer. */
export interface Harness {
  runtime: VaultRuntime;
  blobs: MemoryBlobs;
  /** The stores to hand a restarted runtime ({@link startHarness} `stores`). */
  stores: HostStores;
  nsm: SimulatedNsm;
  manifest: Manifest;
  logs: string[];
  /** Hands `data` to the runtime on `vault`/`device`'s request subject; resolves with the answer. */
  deliver(vaultId: string, deviceId: string, data: Uint8Array): Promise<Uint8Array>;
  /** A device client whose every message goes through `intercept` (default: delivered as sent). */
  client(
    who: Person,
    options?: {
      as?: Person;
      memory?: VaultMemory;
      intercept?: (data: Uint8Array, deliver: (data: Uint8Array) => Promise<Uint8Array>) => Promise<Uint8Array>;
    },
  ): VaultClient;
  close(): Promise<void>;
}

/** The host's stores, which outlive a runtime: pass another harness's to start a "restarted" one over them. */
export interface HostStores {
  blobs: MemoryBlobs;
  kms: RuntimePorts["kms"];
  /** The version witness, when the runtime has one (it outlives the runtime too). */
  witness?: VersionWitness | undefined;
  /** The change log (it outlives the runtime too). */
  changes?: ChangeLog | undefined;
}

/**
 * Founds `who`'s vault through the harness (vault.init with the committed keys and
 * {@link PIN}); returns the founding device's client, its session unlocked.
 */
export async function founded(h: Pick<Harness, "client">, who: Person): Promise<VaultClient> {
  const device = h.client(who);
  await device.call("vault.init", {
    op: "vault.init",
    pin: PIN,
    signingKey: who.signing.publicKey,
    vaultSalt: who.vaultSalt,
  });
  return device;
}

export async function startHarness(
  vaults: string[],
  options: {
    now?: () => number;
    stores?: HostStores;
    maxInFlightBytes?: number;
    memoryBudgetBytes?: number;
    memory?: () => { heapUsed: number; external: number };
    recoveryDelayMs?: number;
    /** Give the runtime a version witness (a new one unless `stores` carries one). */
    witness?: boolean;
    /** The change log (default: a new {@link MemoryChangeLog} unless `stores` carries one; `false`: none). */
    changes?: ChangeLog | false;
    /** The simulated NSM (another harness's, for two runtimes of one enclave image). */
    nsm?: SimulatedNsm;
    /** Serve only vaults whose lease this runtime holds in `table`, as `self`. */
    leases?: { table: LeaseTable; self: string };
  } = {},
): Promise<Harness> {
  const nsm = options.nsm ?? (await createSimulatedNsm({ dev: true }));
  const manifest = devManifest(nsm.pcrs);
  const blobs = options.stores?.blobs ?? new MemoryBlobs();
  const kms = options.stores?.kms ?? memoryKms();
  const witness = options.stores?.witness ?? (options.witness ? new MemoryWitness() : undefined);
  const changes =
    options.changes === false ? undefined : (options.changes ?? options.stores?.changes ?? new MemoryChangeLog());
  const logs: string[] = [];
  const replies = new Map<string, (data: Uint8Array) => void>();
  let nextReply = 0;
  const ports: RuntimePorts = {
    nsm,
    kms,
    blobs,
    ...(witness ? { witness } : {}),
    ...(changes ? { changes } : {}),
    nats: {
      async subscribe() {
        return { unsubscribe: async () => undefined };
      },
      respond(reply, data) {
        const answer = reply ? replies.get(reply) : undefined;
        if (!answer || !reply) return false;
        replies.delete(reply);
        answer(data);
        return true;
      },
    },
    log: (level, message, fields) => logs.push(JSON.stringify({ level, message, fields })),
    now: options.now ?? Date.now,
  };
  const runtime = new VaultRuntime({
    ports,
    argon2Params: TEST_ARGON2,
    ...(options.maxInFlightBytes !== undefined ? { maxInFlightBytes: options.maxInFlightBytes } : {}),
    ...(options.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: options.memoryBudgetBytes } : {}),
    ...(options.memory ? { memory: options.memory } : {}),
    ...(options.recoveryDelayMs !== undefined ? { recoveryDelayMs: options.recoveryDelayMs } : {}),
    ...(options.leases ? { leases: options.leases } : {}),
  });
  for (const vaultId of vaults) await runtime.serve(vaultId);

  const deliver = (vaultId: string, deviceId: string, data: Uint8Array): Promise<Uint8Array> => {
    nextReply += 1;
    const reply = `vettid.v1.inbox.${deviceId}.${nextReply}`;
    const answered = new Promise<Uint8Array>((resolve) => replies.set(reply, resolve));
    const message: ProxyNatsMessage = { subject: vaultRequestSubject(vaultId, deviceId), reply, data };
    void runtime.onMessage(message);
    return answered;
  };

  return {
    runtime,
    blobs,
    stores: { blobs, kms, witness, changes },
    nsm,
    manifest,
    logs,
    deliver,
    client(who, options = {}) {
      const keys = options.as ?? who;
      const send = (data: Uint8Array) => deliver(who.vaultId, keys.deviceId, data);
      return new VaultClient({
        vaultId: who.vaultId,
        deviceId: keys.deviceId,
        deviceKey: keys.exchange,
        transport: (data) => (options.intercept ? options.intercept(data, send) : send(data)),
        attestation: { trustedRoots: [nsm.rootCertificatePem], manifest },
        memory: options.memory ?? { stateVersion: 0 },
        // as the founding device does: the opening of the vault id with its own signing key
        founding: { signingKey: keys.signing.publicKey, vaultSalt: who.vaultSalt },
      });
    },
    close: () => runtime.close(),
  };
}

/** Runtime ids of {@link startRuntimes}: the i-th runtime is `RUNTIME_IDS[i]`. */
export const RUNTIME_IDS = ["a", "b", "c", "d"].map((c) => c.repeat(32));

/**
 * `n` runtimes (at most 4) serving `vaultIds` over one set of host stores, one version
 * witness and one lease table, all the same enclave image (one simulated NSM: a device
 * trusts each), on the clock `now`; `wrap` may change runtime i's view of the lease table.
 */
export async function startRuntimes(
  n: number,
  vaultIds: string[],
  now: () => number,
  wrap?: (table: LeaseTable, i: number) => LeaseTable,
): Promise<Harness[]> {
  const stores = { blobs: new MemoryBlobs(), kms: memoryKms(), witness: new MemoryWitness() };
  const table = new MemoryLeaseTable(RUNTIME_IDS[0] as string, now);
  const out: Harness[] = [];
  for (let i = 0; i < n; i += 1) {
    const self = RUNTIME_IDS[i] as string;
    const own = i === 0 ? table : table.as(self);
    out.push(
      await startHarness(vaultIds, {
        now,
        stores,
        ...(out[0] ? { nsm: out[0].nsm } : {}),
        leases: { table: wrap ? wrap(own, i) : own, self },
      }),
    );
  }
  return out;
}

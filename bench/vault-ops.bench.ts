/**
 * `npm run bench -- vault-ops`: the vault's operations end to end through the local
 * topology (local/launcher/topology.ts: nats-server in operator/JWT mode, the REST
 * edge, the KMS and S3 stand-ins, the vsock proxy as a child process), with the vault
 * runtime as its own child process: bench/vault-ops-peer.ts `runtime` runs the module
 * local/runtime-process.ts with the same environment the launcher gives it, started
 * with `--expose-gc`, plus two dev-only commands on its stdin (a memory report after a
 * full GC, and wall times of the requests it handled and of its blob writes); it
 * replaces the runtime the topology started. Devices live in this process: each
 * enrolls over REST with an invitation of its own, connects to NATS with its minted
 * credentials and talks to its vault with the reference client (client/vault
 * VaultClient), as an app does. Every vault has 20 items of 256 bytes.
 *
 * Figures (DESIGN.md §8), each beside a baseline measured in the same run:
 *
 * 1. vault get p50: sequential `items.get` of a 256-byte item (device seals → NATS →
 *    proxy → runtime opens, answers sealed → device opens), vs a bare NATS echo (a
 *    responder process on the same nats-server) of a request exactly as large as the
 *    sealed get request. The echo answers with the request; the get's answer is a little
 *    larger (the item). Target ≤ 2.5×.
 * 2. vault put p50: sequential `items.put` of a 256-byte item (the runtime re-seals both
 *    layers and writes the blob conditionally through the proxy to the S3 stand-in
 *    before answering), vs the sum of two p50s: the bare echo at the sealed put
 *    request's size, and a bare conditional PutObject (`If-Match` of the current ETag,
 *    the proxy's own blob store and S3 client settings, from a child process like the
 *    proxy) of an object as large as this vault's sealed state blob (read from the
 *    store). Target ≤ 1.5×.
 *    Latency samples of a figure and its baseline alternate in blocks, so load from
 *    elsewhere on the machine hits both alike.
 * 3. unlock throughput: UNLOCK_DEVICES devices on as many vaults unlocking in parallel,
 *    each unlock a full Argon2id at DEFAULT_ARGON2ID (64 MiB, 3 passes) in the runtime
 *    process, vs raw `crypto_pwhash` at the same parameters in one process through the
 *    runtime's own semaphore (MAX_CONCURRENT_ARGON2 permits). libsodium's WebAssembly
 *    `crypto_pwhash` is synchronous: the cap of 2 admits two derivations, but they run
 *    one after the other on the process's one JavaScript thread, which nothing else
 *    (no other request, no I/O callback) gets while one runs. So "parallel" here is
 *    concurrency of the rest of the unlock (NATS, the two conditional writes, the other
 *    processes) around strictly serial derivations, and the baseline's throughput is
 *    1 / (one derivation's time): its callers go through the same semaphore and still
 *    derive one at a time. Rounds of UNLOCK_DEVICES unlocks alternate with rounds of as
 *    many raw derivations. Target ≥ 0.8×.
 * 4. handshake cost: a new client's `connect()` from the device, p50 (attest round trip
 *    with a fresh nonce, the runtime's simulated-NSM document, the device's verification
 *    of chain, nonce, PCRs against the manifest and the attested keys, then the hybrid
 *    handshake round trip), beside the raw asymmetric work of the handshake in this
 *    process (3 × `crypto_scalarmult` + ML-KEM-768 encapsulate + decapsulate). Reported
 *    only (target null). Each sample is a different device (the runtime limits
 *    attestations per device per minute).
 * 5. memory per unlocked vault: a fresh runtime process (restarted after the figures
 *    above) first unlocks WARM_VAULTS vaults (so code, libsodium's grown WebAssembly
 *    memory (it is counted in `external`) and the KMS tunnel's TLS state exist before
 *    the baseline), then MEMORY_VAULTS more, one session each; the figure is the growth
 *    of heapUsed + external, after a full GC, divided by MEMORY_VAULTS, and its
 *    baseline the same process's heapUsed + external before them (so its ratio is one
 *    vault's share of an idle runtime; a second figure gives the totals). It includes
 *    per vault everything the runtime keeps: the vault slot with its parsed sealed blob,
 *    the opened outer and inner layers (20 items), root and PIN keys, the device's
 *    session and its attestation counter; not what the allocator keeps beyond that
 *    (RSS), and not the proxy's or NATS's share. Target null.
 *
 * Each figure's log line breaks its time down: the NATS round trip the device's
 * transport saw (the rest is the device's own work), the runtime's wall time for the
 * request and for its conditional writes, a refused request of the same size (the
 * transport through the proxy with the least runtime work), and for the put the
 * runtime's state work alone, timed here with the same code.
 *
 * Where the local topology differs from production: the S3 and KMS stand-ins and the
 * REST edge run in this (the devices') process, and everything shares the machine's
 * cores; nothing here changes production limits or Argon2id parameters. Enrolling
 * 200+ devices from one address would hit the edge's per-source enrollment limit, so
 * each group of devices enrolls from its own loopback address (127.0.0.x).
 * The production Argon2id cost makes the set-up the longest part of a run: every
 * vault.init and every unlock of the memory figure derives once (≈ 0.3–0.5 s each,
 * one at a time), about 3–4 minutes for 204 vaults on a 2-core machine.
 *
 * BENCH_VAULTS overrides MEMORY_VAULTS; BENCH_CPU_PROF=<dir> profiles the runtime.
 *
 * Then the scale figures of bench/vault-scale.bench.ts (unlocked vaults per GiB, the
 * get rate at 10,000 loaded vaults against 10), which drive the runtime without
 * NATS or the proxy; `npm run bench -- vault-scale` runs only those.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Algorithms, encodeUser, fromSeed } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../client/device";
import { VaultClient } from "../client/vault";
import { sodiumReady } from "../lib/crypto";
import type { EnrollmentResponse } from "../lib/edge";
import { type Manifest, verifyManifest } from "../lib/manifest";
import { formatCreds, type NatsKeyHierarchy } from "../lib/nats-auth";
import { encodeDeviceMessage } from "../lib/vault-protocol";
import type { Progress } from "../local/launcher/progress";
import { startTopology, type Topology } from "../local/launcher/topology";
import {
  createPinRecord,
  emptyAuditLog,
  NO_PIN_FAILURES,
  noChanges,
  type OuterFields,
  openOuter,
  parseStateBlob,
  sealState,
  stateBlobKey,
  type VaultItem,
} from "../vault-enclave/state";
import { type Figure, figure } from "./lib/figures";
import { run as runScale } from "./vault-scale.bench";

const MEMORY_VAULTS = Number(process.env.BENCH_VAULTS ?? 200);
const WARM_VAULTS = 4;
const ITEMS = 20;
const ITEM_BYTES = 256;
const PIN = "482915";
/** Devices enrolling / setting up their vaults at once. */
const SETUP_PARALLEL = 4;
/** Enrollments per loopback source address (the edge allows 30 per 10 minutes). */
const PER_SOURCE = 25;
const GET_BLOCKS = 10;
const GET_PER_BLOCK = 100;
const PUT_BLOCKS = 10;
const PUT_PER_BLOCK = 30;
/** Calls before timing starts: fewer leave the runtime's and the proxy's get path visibly unoptimized. */
const WARMUP = 500;
const UNLOCK_DEVICES = 8;
const UNLOCK_ROUNDS = 4;
const HANDSHAKES = 60;
const RAW_SAMPLES = 300;
/** Extra sequential calls timed inside the runtime too, for the breakdown lines. */
const BREAKDOWN_SAMPLES = 200;

const PEER = join(__dirname, "vault-ops-peer.ts");

const quiet: Progress = { step: (_label, work) => work(), info() {} };

interface Device {
  index: number;
  enrollment: EnrollmentResponse;
  keys: DeviceKeys;
  nc: NatsConnection;
  vault: VaultClient;
  /** The last exchange's sizes, and every exchange's NATS round trip (ms) as the transport saw it. */
  trace: Trace;
}

interface Trace {
  requestBytes: number;
  replyBytes: number;
  roundTrips: number[];
}

interface Trust {
  trustedRoots: string[];
  manifest: Manifest;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const median = (samples: number[]) => percentile(samples, 50);

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `work` over `items`, at most `limit` at once. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

/** A `fetch` for the edge client that connects from `localAddress` (a loopback address). */
function fetchFrom(localAddress: string): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const req = httpRequest(
        new URL(String(input)),
        { method: init?.method ?? "GET", headers: init?.headers as Record<string, string>, localAddress },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
            }
            const body = chunks.length > 0 ? Buffer.concat(chunks) : null;
            resolve(new Response(body, { status: res.statusCode ?? 500, headers }));
          });
        },
      );
      req.on("error", reject);
      init?.signal?.addEventListener("abort", () => req.destroy(new Error("aborted")));
      req.end(typeof init?.body === "string" ? init.body : undefined);
    })) as typeof fetch;
}

/** Creds of a NATS user in the VettID account for the bare echo: its subject and inboxes only. */
async function benchCreds(keys: NatsKeyHierarchy): Promise<string> {
  const user = createUser();
  const jwt = await encodeUser(
    "bench-echo",
    user.getPublicKey(),
    keys.accountPublicKey,
    // the account's default permissions deny everything: allow the echo's subject and inboxes
    { bearer_token: false, pub: { allow: ["bench.>", "_INBOX.>"] }, sub: { allow: ["bench.>", "_INBOX.>"] } },
    { algorithm: Algorithms.v2, signer: fromSeed(new TextEncoder().encode(keys.accountSigningSeed)) },
  );
  return formatCreds(jwt, new TextDecoder().decode(user.getSeed()));
}

/** Starts bench/vault-ops-peer.ts in `role`; it is killed if this process exits first. */
function spawnPeer(role: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", PEER], {
    // only what the launcher gives its children (local/launcher/runtime.ts): no CA bundles or proxies from here
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      VETTID_ENV: "local",
      BENCH_ROLE: role,
      ...env,
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  return child;
}

const readers = new WeakMap<ChildProcess, { waiters: ((line: string) => boolean)[] }>();

/**
 * Resolves with the first stdout line of `child` that `accept` maps to a value (lines
 * nobody waits for are dropped), or rejects when the child exits first.
 */
function nextLine<T>(child: ChildProcess, accept: (line: string) => T | undefined): Promise<T> {
  let reader = readers.get(child);
  if (!reader) {
    const created = { waiters: [] as ((line: string) => boolean)[] };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const index = created.waiters.findIndex((waiter) => waiter(line));
      if (index >= 0) created.waiters.splice(index, 1);
    });
    readers.set(child, created);
    reader = created;
  }
  const waiters = reader.waiters;
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench peer exited with ${code}`));
    child.once("exit", onExit);
    waiters.push((line) => {
      const value = accept(line);
      if (value === undefined) return false;
      child.off("exit", onExit);
      resolve(value);
      return true;
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killer);
}

const jsonLine = (line: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** The vault runtime in its own process, as local/runtime-process.ts runs it (see bench/vault-ops-peer.ts). */
interface BenchRuntime {
  child: ChildProcess;
  /** heapUsed + external (and the rest of process.memoryUsage()) after a full GC. */
  memory(): Promise<NodeJS.MemoryUsage>;
  /** Wall times (ms) of the requests handled and of the blob writes since the last call. */
  timings(): Promise<{ messages: number[]; blobPuts: number[] }>;
  stop(): Promise<void>;
}

async function startBenchRuntime(topology: Topology): Promise<BenchRuntime> {
  const { endpoints } = topology;
  const profile = process.env.BENCH_CPU_PROF;
  const child = spawnPeer(
    "runtime",
    {
      VETTID_RUNTIME_CONFIG: endpoints.enclaveConfig,
      VETTID_PROXY_SOCKET: endpoints.proxySocket,
      VETTID_DEV_CA_DIR: join(endpoints.stateDir, "attestation"),
    },
    ["--expose-gc", ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [])],
  );
  await nextLine(child, (line) => (jsonLine(line)?.event === "ready" ? true : undefined));
  return {
    child,
    async memory() {
      const report = nextLine(child, (line) => {
        const event = jsonLine(line);
        return event?.event === "memory" ? event : undefined;
      });
      child.stdin?.write("memory\n");
      const event = await report;
      if (event.collected !== true) throw new Error("the runtime was started without --expose-gc");
      return event as unknown as NodeJS.MemoryUsage;
    },
    async timings() {
      const report = nextLine(child, (line) => {
        const event = jsonLine(line);
        return event?.event === "timings"
          ? (event as unknown as { messages: number[]; blobPuts: number[] })
          : undefined;
      });
      child.stdin?.write("timings\n");
      return report;
    },
    stop: () => stopChild(child),
  };
}

function newVaultClient(device: Omit<Device, "vault">, trust: Trust): VaultClient {
  const { enrollment, keys, nc, trace } = device;
  return new VaultClient({
    vaultId: enrollment.vaultId,
    deviceId: enrollment.deviceId,
    deviceKey: {
      publicKey: Buffer.from(keys.exchange.publicKey, "base64url"),
      privateKey: Buffer.from(keys.exchange.privateKey, "base64url"),
    },
    transport: async (data, timeout) => {
      const start = process.hrtime.bigint();
      const reply = await nc.request(enrollment.subjects.request, data, { timeout });
      trace.roundTrips.push(Number(process.hrtime.bigint() - start) / 1e6);
      trace.requestBytes = data.length;
      trace.replyBytes = reply.data.length;
      return reply.data;
    },
    attestation: trust,
    memory: { stateVersion: 0 },
    timeoutMs: 60_000,
  });
}

async function enrollDevices(topology: Topology, count: number, trust: Trust): Promise<Device[]> {
  const { endpoints } = topology;
  const operator = createEdgeClient({ baseUrl: endpoints.rest, adminToken: endpoints.adminToken });
  const devices: Device[] = [];
  await inParallel(
    Array.from({ length: count }, (_, i) => i),
    SETUP_PARALLEL,
    async (index) => {
      const invitation = await operator.createInvitation({ note: `vault-ops bench ${index}` });
      const keys = generateDeviceKeys();
      const edge = createEdgeClient({
        baseUrl: endpoints.rest,
        fetch: fetchFrom(`127.0.0.${2 + Math.floor(index / PER_SOURCE)}`),
      });
      const enrollment = await edge.enroll(invitation.code, keys, `bench ${index}`);
      const nc = await connect({
        servers: enrollment.nats.servers,
        authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(enrollment.nats.jwt, keys.nats.seed))),
        inboxPrefix: enrollment.subjects.inboxPrefix,
        name: `bench-device-${index}`,
      });
      const partial = { index, enrollment, keys, nc, trace: { requestBytes: 0, replyBytes: 0, roundTrips: [] } };
      devices.push({ ...partial, vault: newVaultClient(partial, trust) });
    },
  );
  return devices.sort((a, b) => a.index - b.index);
}

const itemName = (i: number) => `item-${String(i).padStart(2, "0")}`;
const itemValue = (seed: number) => new Uint8Array(ITEM_BYTES).fill(seed & 0xff);

/** vault.init with the production Argon2id cost, then ITEMS items of ITEM_BYTES. */
async function setUpVault(device: Device): Promise<void> {
  await device.vault.call("vault.init", {
    op: "vault.init",
    pin: PIN,
    signingKey: Buffer.from(device.keys.signing.publicKey, "base64url"),
    vaultSalt: Buffer.from(device.enrollment.vaultSalt ?? "", "base64url"),
  });
  for (let i = 0; i < ITEMS; i += 1) {
    await device.vault.call("items.put", { op: "items.put", name: itemName(i), type: "secret", value: itemValue(i) });
  }
}

/**
 * After WARMUP calls of each run, runs blocks of `perBlock` sequential calls of each
 * in turn, `blocks` times, and returns each run's samples (ms).
 */
async function alternate(
  blocks: number,
  perBlock: number,
  runs: Record<string, (count: number) => Promise<number[]>>,
): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = {};
  for (const [name, run] of Object.entries(runs)) {
    await run(WARMUP);
    samples[name] = [];
  }
  for (let b = 0; b < blocks; b += 1) {
    for (const [name, run] of Object.entries(runs)) samples[name]?.push(...(await run(perBlock)));
  }
  return samples;
}

function sequential(call: (i: number) => Promise<unknown>): (count: number) => Promise<number[]> {
  let n = 0;
  return async (count) => {
    const out: number[] = [];
    for (let i = 0; i < count; i += 1) {
      n += 1;
      out.push(await timed(() => call(n)));
    }
    return out;
  };
}

/** The raw asymmetric work of one hybrid handshake, both sides (lib/handshake ik-hybrid). */
async function rawHandshakeOps(): Promise<number[]> {
  const s = await sodiumReady();
  const device = s.crypto_box_keypair();
  const enclave = s.crypto_box_keypair();
  const ephemeral = s.crypto_box_keypair();
  const kem = ml_kem768.keygen();
  const one = () => {
    s.crypto_scalarmult(ephemeral.privateKey, enclave.publicKey);
    s.crypto_scalarmult(device.privateKey, enclave.publicKey);
    s.crypto_scalarmult(enclave.privateKey, ephemeral.publicKey);
    const { cipherText } = ml_kem768.encapsulate(kem.publicKey);
    ml_kem768.decapsulate(cipherText, kem.secretKey);
  };
  for (let i = 0; i < WARMUP; i += 1) one();
  const samples: number[] = [];
  for (let i = 0; i < RAW_SAMPLES; i += 1) {
    const start = process.hrtime.bigint();
    one();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

const heapAndExternal = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

/**
 * A device message as large as `bytes` that the runtime refuses at once (a sealed
 * envelope for a session that does not exist): the round trip through NATS, the
 * proxy and the link with the least runtime work.
 */
function unknownSessionMessage(bytes: number): Uint8Array {
  for (let envelope = Math.max(1, bytes - 64); envelope <= bytes; envelope += 1) {
    const message = encodeDeviceMessage({
      t: "sealed",
      session: "bench-no-such-session",
      envelope: new Uint8Array(envelope),
    });
    if (message.length >= bytes) return message;
  }
  throw new Error(`no message of ${bytes} bytes`);
}

/**
 * BREAKDOWN_SAMPLES more sequential calls, each timed whole, as its NATS round trip
 * (so the rest is the device's own work) and inside the runtime.
 */
async function breakdown(runtime: BenchRuntime, device: Device, call: () => Promise<unknown>) {
  await runtime.timings();
  const calls: number[] = [];
  const onDevice: number[] = [];
  const trips: number[] = [];
  for (let i = 0; i < BREAKDOWN_SAMPLES; i += 1) {
    device.trace.roundTrips.length = 0;
    const ms = await timed(call);
    const trip = device.trace.roundTrips[0] as number;
    calls.push(ms);
    trips.push(trip);
    onDevice.push(ms - trip);
  }
  return { call: median(calls), roundTrip: median(trips), device: median(onDevice), runtime: await runtime.timings() };
}

/**
 * Waits until the runtime answers on the device's subject: the runtime reports ready
 * once its subscription went to the proxy, which subscribes on NATS a moment later.
 */
async function untilAnswered(device: Device, message: Uint8Array): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await device.nc.request(device.enrollment.subjects.request, message, { timeout: 2_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * The runtime's state work for one put, measured in this process with the same code
 * on a state of the same shape (ITEMS items, one device, the real blob's KMS
 * ciphertext): sealing both layers, then parsing the new blob and opening its outer
 * layer again (VaultSlot adopts what it wrote). The PIN record is made with the
 * smallest Argon2id cost: only its size matters here.
 */
async function stateWork(realBlob: Uint8Array, vaultId: string) {
  const s = await sodiumReady();
  const now = Date.now();
  const rootKey = s.randombytes_buf(32);
  const { record, pinKey } = createPinRecord(PIN, { opsLimit: 1, memLimitBytes: 8 * 1024 });
  const items: VaultItem[] = Array.from({ length: ITEMS }, (_, i) => ({
    name: itemName(i),
    type: "secret",
    value: itemValue(i),
    version: 1,
    createdAt: now,
    updatedAt: now,
  }));
  const fields: OuterFields = {
    vaultId,
    stateVersion: 1,
    pin: record,
    attempts: { ...NO_PIN_FAILURES },
    devices: [
      {
        deviceId: "dev_bench",
        signingPublicKey: s.randombytes_buf(32),
        x25519PublicKey: s.randombytes_buf(32),
        addedAt: now,
        label: "founding device",
        lastUsedAt: null,
        sas: null,
      },
    ],
    pending: [],
    recovery: {
      backups: [],
      pending: null,
      recoveredInto: null,
      attempts: { failures: 0, lockedUntil: null, lastFailureAt: null },
    },
    audit: emptyAuditLog(vaultId),
    changes: noChanges(vaultId),
  };
  const inner = { items, identitySecretKey: s.crypto_sign_keypair().privateKey, recoveryKey: null };
  const kmsCiphertextBlob = parseStateBlob(realBlob).kmsCiphertextBlob;
  let version = 0;
  let blob: Uint8Array = new Uint8Array();
  const seal = () => {
    blob = sealState({
      vaultId,
      rootKey,
      pinKey,
      kmsCiphertextBlob,
      outer: { ...fields, stateVersion: version + 1 },
      inner,
      previousVersion: version,
    });
    version += 1;
  };
  const adopt = () => openOuter(parseStateBlob(blob), { vaultId, rootKey });
  const seals: number[] = [];
  const adopts: number[] = [];
  for (let i = 0; i < WARMUP + RAW_SAMPLES; i += 1) {
    const sealMs = await timed(async () => seal());
    const adoptMs = await timed(async () => adopt());
    if (i >= WARMUP) {
      seals.push(sealMs);
      adopts.push(adoptMs);
    }
  }
  return { seal: median(seals), adopt: median(adopts), bytes: blob.length };
}

/** Runs the benchmark. */
/** The figures of the operations through the topology, then the scale figures. */
export async function run(): Promise<Figure[]> {
  const operations = await runOperations();
  process.stdout.write("  · scale (bench/vault-scale.bench.ts):\n");
  return [...operations, ...(await runScale())];
}

async function runOperations(): Promise<Figure[]> {
  const stateDir = mkdtempSync(join(tmpdir(), "vo-"));
  const children: ChildProcess[] = [];
  const devices: Device[] = [];
  let runtime: BenchRuntime | undefined;
  let benchNc: NatsConnection | undefined;
  const topology = await startTopology(stateDir, quiet);
  const log = (line: string) => process.stdout.write(`  · ${line}\n`);
  try {
    const { endpoints } = topology;
    await topology.runtime.stop();
    runtime = await startBenchRuntime(topology);
    const rt = runtime;
    const trust: Trust = {
      trustedRoots: [topology.attestation.ca.rootCertificatePem],
      manifest: await verifyManifest(topology.attestation.manifestText, {
        keys: topology.attestation.releaseKeys.set,
        activationDelayMs: 0,
      }),
    };

    const credsFile = join(stateDir, "bench-echo.creds");
    writeFileSync(credsFile, await benchCreds(topology.nats.keys), { mode: 0o600 });
    const echo = spawnPeer("echo", { BENCH_NATS_URL: endpoints.nats, BENCH_NATS_CREDS: credsFile });
    children.push(echo);
    await nextLine(echo, (line) => (line === "ready" ? true : undefined));
    benchNc = await connect({
      servers: endpoints.nats,
      authenticator: credsAuthenticator(new TextEncoder().encode(await benchCreds(topology.nats.keys))),
    });
    const requester = benchNc;
    const bareEcho = (bytes: number) => {
      const payload = new Uint8Array(bytes).fill(7);
      return sequential(() => requester.request("bench.echo", payload, { timeout: 10_000 }));
    };

    const total = MEMORY_VAULTS + WARM_VAULTS;
    let started = performance.now();
    devices.push(...(await enrollDevices(topology, total, trust)));
    log(`enrolled ${total} devices over REST in ${Math.round(performance.now() - started)} ms`);
    const probe = unknownSessionMessage(64);
    await untilAnswered(devices[0] as Device, probe);
    started = performance.now();
    await inParallel(devices, SETUP_PARALLEL, setUpVault);
    log(`initialized ${total} vaults with ${ITEMS} items each in ${Math.round(performance.now() - started)} ms`);

    // 1. get
    const first = devices[0] as Device;
    const get = () => first.vault.call("items.get", { op: "items.get", name: itemName(0) });
    await get();
    const getRequestBytes = first.trace.requestBytes;
    const getReplyBytes = first.trace.replyBytes;
    const floorMessage = unknownSessionMessage(getRequestBytes);
    const gets = await alternate(GET_BLOCKS, GET_PER_BLOCK, {
      vault: sequential(get),
      echo: bareEcho(getRequestBytes),
      floor: sequential(() => first.nc.request(first.enrollment.subjects.request, floorMessage, { timeout: 10_000 })),
    });
    const getP50 = median(gets.vault as number[]);
    const getEchoP50 = median(gets.echo as number[]);
    const getBreakdown = await breakdown(rt, first, get);
    log(
      `items.get (request ${getRequestBytes} B, answer ${getReplyBytes} B): p50 ${fmt(getP50)} ms; bare echo ${fmt(getEchoP50)} ms; ` +
        `a refused request of the same size through proxy and runtime ${fmt(median(gets.floor as number[]))} ms. ` +
        `Breakdown (p50s of ${BREAKDOWN_SAMPLES} more): call ${fmt(getBreakdown.call)} ms = on the device ${fmt(getBreakdown.device)} ms + NATS round trip ${fmt(getBreakdown.roundTrip)} ms, ` +
        `of it in the runtime ${fmt(median(getBreakdown.runtime.messages))} ms`,
    );

    // 2. put
    let putSeed = 1;
    const put = () =>
      first.vault.call("items.put", {
        op: "items.put",
        name: itemName(0),
        type: "secret",
        value: itemValue(putSeed++),
      });
    await put();
    const putRequestBytes = first.trace.requestBytes;
    const bucket = topology.sealedState.s3.store.buckets.get(endpoints.sealedStateBucket);
    const blobBytes = bucket?.get(stateBlobKey(first.enrollment.vaultId))?.data.length;
    if (!blobBytes) throw new Error("the vault's sealed state blob is not in the store");
    const s3put = spawnPeer("s3put", {
      BENCH_S3_ENDPOINT: endpoints.s3,
      BENCH_BUCKET: endpoints.sealedStateBucket,
      BENCH_BLOB_BYTES: String(blobBytes),
    });
    children.push(s3put);
    await nextLine(s3put, (line) => (line === "ready" ? true : undefined));
    const puts = await alternate(PUT_BLOCKS, PUT_PER_BLOCK, {
      vault: sequential(put),
      echo: bareEcho(putRequestBytes),
      s3: async (count) => {
        const reply = nextLine(s3put, (line) => (line.startsWith("[") ? (JSON.parse(line) as number[]) : undefined));
        s3put.stdin?.write(`${count}\n`);
        return reply;
      },
    });
    const putP50 = median(puts.vault as number[]);
    const putEchoP50 = median(puts.echo as number[]);
    const s3P50 = median(puts.s3 as number[]);
    const putBreakdown = await breakdown(rt, first, put);
    const realBlob = bucket?.get(stateBlobKey(first.enrollment.vaultId))?.data as Uint8Array;
    const work = await stateWork(realBlob, first.enrollment.vaultId);
    log(
      `items.put (request ${putRequestBytes} B, sealed blob ${blobBytes} B): p50 ${fmt(putP50)} ms; bare echo ${fmt(putEchoP50)} ms + bare conditional put ${fmt(s3P50)} ms. ` +
        `Breakdown (p50s of ${BREAKDOWN_SAMPLES} more): call ${fmt(putBreakdown.call)} ms = on the device ${fmt(putBreakdown.device)} ms + NATS round trip ${fmt(putBreakdown.roundTrip)} ms, ` +
        `of it in the runtime ${fmt(median(putBreakdown.runtime.messages))} ms, of that the conditional write through the proxy ${fmt(median(putBreakdown.runtime.blobPuts))} ms; ` +
        `the state work alone (in this process, a ${work.bytes}-byte blob of the same shape): sealing both layers ${fmt(work.seal)} ms, parsing and opening the outer layer again ${fmt(work.adopt)} ms`,
    );

    // 3. unlock throughput, in rounds alternating with the baseline's
    const unlocking = devices.slice(1, 1 + UNLOCK_DEVICES);
    const argon2 = spawnPeer("argon2", {});
    children.push(argon2);
    await nextLine(argon2, (line) => (line === "ready" ? true : undefined));
    const unlockMs: number[] = [];
    let unlockSeconds = 0;
    let rawSeconds = 0;
    await rt.timings();
    for (let round = 0; round < UNLOCK_ROUNDS; round += 1) {
      const start = performance.now();
      await Promise.all(
        unlocking.map(async (device) => {
          unlockMs.push(await timed(() => device.vault.call("vault.unlock", { op: "vault.unlock", pin: PIN })));
        }),
      );
      unlockSeconds += (performance.now() - start) / 1000;
      const report = nextLine(argon2, (line) => jsonLine(line) as { seconds: number } | undefined);
      argon2.stdin?.write(`${UNLOCK_DEVICES} 1\n`);
      rawSeconds += (await report).seconds;
    }
    const unlockRuntime = await rt.timings();
    const unlocksPerSecond = (UNLOCK_DEVICES * UNLOCK_ROUNDS) / unlockSeconds;
    const rawPerSecond = (UNLOCK_DEVICES * UNLOCK_ROUNDS) / rawSeconds;
    // one device alone: the runtime's handling of one unlock, nothing queued before it
    const alone = devices[1 + UNLOCK_DEVICES] as Device;
    const aloneMs: number[] = [];
    await rt.timings();
    for (let i = 0; i < 3; i += 1) {
      aloneMs.push(await timed(() => alone.vault.call("vault.unlock", { op: "vault.unlock", pin: PIN })));
    }
    const aloneRuntime = await rt.timings();
    const report = nextLine(argon2, (line) => jsonLine(line) as { seconds: number } | undefined);
    argon2.stdin?.write("1 3\n");
    const rawAloneMs = ((await report).seconds * 1000) / 3;
    log(
      `unlock: ${fmt(unlocksPerSecond)}/s with ${UNLOCK_DEVICES} devices (${UNLOCK_ROUNDS} rounds, a device waits p50 ${fmt(median(unlockMs))} ms, queueing included; ` +
        `conditional writes p50 ${fmt(median(unlockRuntime.blobPuts))} ms, 2 per unlock); raw crypto_pwhash ${fmt(rawPerSecond)}/s. ` +
        `One unlock alone: ${fmt(median(aloneMs))} ms at the device, ${fmt(median(aloneRuntime.messages))} ms in the runtime of which 2 writes ${fmt(2 * median(aloneRuntime.blobPuts))} ms; ` +
        `one raw derivation ${fmt(rawAloneMs)} ms`,
    );

    // 4. handshake
    const handshakers = devices.slice(2 + UNLOCK_DEVICES, 2 + UNLOCK_DEVICES + HANDSHAKES);
    const handshakeMs: number[] = [];
    const attestTrips: number[] = [];
    const handshakeTrips: number[] = [];
    const handshakeOnDevice: number[] = [];
    await rt.timings();
    for (const device of handshakers) {
      const client = newVaultClient(device, trust);
      device.trace.roundTrips.length = 0;
      handshakeMs.push(await timed(() => client.connect()));
      attestTrips.push(device.trace.roundTrips[0] as number);
      handshakeTrips.push(device.trace.roundTrips[1] as number);
      handshakeOnDevice.push(
        (handshakeMs.at(-1) as number) -
          (device.trace.roundTrips[0] as number) -
          (device.trace.roundTrips[1] as number),
      );
    }
    const handshakeRuntime = (await rt.timings()).messages;
    const rawHandshake = await rawHandshakeOps();
    log(
      `handshake: p50 ${fmt(median(handshakeMs))} ms over ${handshakers.length} devices: attest round trip ${fmt(median(attestTrips))} ms ` +
        `(in the runtime ${fmt(median(handshakeRuntime.filter((_, i) => i % 2 === 0)))} ms), handshake round trip ${fmt(median(handshakeTrips))} ms ` +
        `(in the runtime ${fmt(median(handshakeRuntime.filter((_, i) => i % 2 === 1)))} ms), on the device (verifying the attestation, its half of the handshake) ${fmt(median(handshakeOnDevice))} ms; ` +
        `raw X25519 ×3 + ML-KEM-768 encaps + decaps ${fmt(median(rawHandshake))} ms`,
    );

    // 5. memory, in a fresh runtime process
    await runtime.stop();
    runtime = await startBenchRuntime(topology);
    const fresh = runtime;
    await untilAnswered(first, probe);
    const unlockFresh = async (device: Device) => {
      device.vault = newVaultClient(device, trust);
      await device.vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    };
    await inParallel(devices.slice(MEMORY_VAULTS), SETUP_PARALLEL, async (device) => {
      await unlockFresh(device);
      await device.vault.call("items.get", { op: "items.get", name: itemName(1) });
    });
    const before = await fresh.memory();
    started = performance.now();
    await inParallel(devices.slice(0, MEMORY_VAULTS), SETUP_PARALLEL, unlockFresh);
    const after = await fresh.memory();
    const perVault = (heapAndExternal(after) - heapAndExternal(before)) / MEMORY_VAULTS;
    const mib = (n: number) => fmt(n / 2 ** 20);
    log(
      `memory: ${MEMORY_VAULTS} vaults unlocked in ${Math.round(performance.now() - started)} ms; ` +
        `heapUsed ${mib(before.heapUsed)} → ${mib(after.heapUsed)} MiB, external ${mib(before.external)} → ${mib(after.external)} MiB ` +
        `(of it arrayBuffers ${mib(before.arrayBuffers)} → ${mib(after.arrayBuffers)}), rss ${mib(before.rss)} → ${mib(after.rss)} MiB`,
    );

    return [
      figure("vault get p50 (sequential items.get, 256-byte item)", "ms", getP50, getEchoP50, "lower", 2.5),
      figure(
        "vault put p50 (sequential items.put, 256-byte item; baseline bare echo + bare conditional blob put)",
        "ms",
        putP50,
        putEchoP50 + s3P50,
        "lower",
        1.5,
      ),
      figure(
        `unlock throughput (${UNLOCK_DEVICES} devices in parallel, Argon2id 64 MiB × 3 in the runtime)`,
        "unlocks/s",
        unlocksPerSecond,
        rawPerSecond,
        "higher",
        0.8,
      ),
      figure(
        "handshake p50 (attest + verify + hybrid handshake from the device; baseline 3 × X25519 + ML-KEM-768 encaps + decaps)",
        "ms",
        median(handshakeMs),
        median(rawHandshake),
        "lower",
        null,
      ),
      figure(
        `memory per unlocked vault with ${ITEMS} items (growth of the runtime's heapUsed + external / ${MEMORY_VAULTS}; baseline the runtime's heapUsed + external before them)`,
        "KiB",
        perVault / 1024,
        heapAndExternal(before) / 1024,
        "lower",
        null,
      ),
      figure(
        `runtime heapUsed + external with ${MEMORY_VAULTS} unlocked vaults of ${ITEMS} items (baseline before them)`,
        "MiB",
        heapAndExternal(after) / 2 ** 20,
        heapAndExternal(before) / 2 ** 20,
        "lower",
        null,
      ),
    ];
  } finally {
    await Promise.all(devices.map((d) => d.nc.close().catch(() => undefined)));
    await benchNc?.close().catch(() => undefined);
    for (const child of children) {
      child.stdin?.end();
      await stopChild(child);
    }
    await runtime?.stop();
    await topology.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- vault-scale` (issue: 10,000 vaults per runtime). Dev only.
 *
 * One vault runtime in its own process (bench/vault-scale-peer.ts: the production
 * `VaultRuntime` over in-memory host stores and the simulated NSM, forked with
 * `--expose-gc`), driven from this process by the reference device client
 * (client/vault) over structured-clone IPC, one device and one session per vault.
 *
 * 1. 10 vaults are founded (attest, hybrid handshake, `vault.init`) and each gets 20
 *    items of 256 bytes; their sessions stay unlocked. The get rate at 10 loaded vaults
 *    is measured: `items.get` of random items of random vaults, 16 in flight, for
 *    BENCH_GETS requests.
 * 2. 9,990 more vaults are set up the same way (BENCH_VAULTS in all), then every vault
 *    is unlocked again (the set-up outlasts the 5-minute unlock idle timeout), and the
 *    runtime reports all 10,000 loaded and open. Its memory is read after a full GC,
 *    then the get rate is measured again over all of them, the same way.
 *
 * Figures: memory per unlocked vault (the growth of the runtime's heapUsed + external,
 * less the bytes the in-memory blob store holds — in production those are in S3 —
 * over the vaults); the runtime's heapUsed + external at 10,000 vaults against its 1 GiB
 * budget (target ≤ 1); the get rate at 10,000 loaded vaults against the rate at 10
 * (target ≥ 0.8).
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { VaultClient } from "../client/vault";
import { sodiumReady } from "../lib/crypto";
import type { Manifest } from "../lib/manifest";
import { VAULT_SALT_BYTES, vaultIdFor } from "../lib/vault-id";
import { devManifest } from "../local/nsm-sim";
import { VAULT_MEMORY_BUDGET_BYTES } from "../vault-enclave/runtime/limits";
import { type Figure, figure } from "./lib/figures";

const VAULTS = Number(process.env.BENCH_VAULTS ?? 10_000);
const SMALL = 10;
const ITEMS = 20;
const ITEM_BYTES = 256;
const GETS = Number(process.env.BENCH_GETS ?? 20_000);
const IN_FLIGHT = 16;
const SETUP_IN_FLIGHT = 8;
const PIN = "482915";
const PEER = join(__dirname, "vault-scale-peer.ts");
const MiB = 1024 * 1024;

interface PeerMemory {
  heapUsed: number;
  external: number;
  storeBytes: number;
  loadedVaults: number;
  openVaults: number;
  sessions: number;
  collected: boolean;
}

/** The runtime process and the request channel to it. */
function startPeer() {
  const child = fork(PEER, [], {
    execArgv: ["--expose-gc", "--max-old-space-size=4096", "--import", "tsx"],
    serialization: "advanced",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", VETTID_ENV: "local" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map<string, (data: Uint8Array) => void>();
  const memoryWaiters: ((m: PeerMemory) => void)[] = [];
  let ready: (value: { rootCertificatePem: string; pcrs: Record<number, Uint8Array> }) => void = () => undefined;
  const started = new Promise<{ rootCertificatePem: string; pcrs: Record<number, Uint8Array> }>((resolve) => {
    ready = resolve;
  });
  child.on("message", (message: { t: string; reply?: string; data?: Uint8Array } & Record<string, unknown>) => {
    if (message.t === "answer" && message.reply) {
      const resolve = waiting.get(message.reply);
      waiting.delete(message.reply);
      resolve?.(new Uint8Array(message.data as Uint8Array));
    } else if (message.t === "memory") {
      memoryWaiters.shift()?.(message as unknown as PeerMemory);
    } else if (message.t === "ready") {
      ready(message as unknown as { rootCertificatePem: string; pcrs: Record<number, Uint8Array> });
    }
  });
  let next = 0;
  return {
    started,
    request(vaultId: string, deviceId: string, data: Uint8Array): Promise<Uint8Array> {
      next += 1;
      const reply = `r.${next}`;
      const answered = new Promise<Uint8Array>((resolve) => waiting.set(reply, resolve));
      child.send({ t: "request", vaultId, deviceId, reply, data });
      return answered;
    },
    memory(): Promise<PeerMemory> {
      const got = new Promise<PeerMemory>((resolve) => memoryWaiters.push(resolve));
      child.send({ t: "memory" });
      return got;
    },
    stop() {
      child.kill("SIGKILL");
    },
  };
}

type Peer = ReturnType<typeof startPeer>;

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (index < items.length) {
      const item = items[index++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

/** Founds one vault as its device would, stores the items, and leaves the session unlocked. */
async function setUpVault(peer: Peer, trust: { trustedRoots: string[]; manifest: Manifest }, n: number) {
  const s = await sodiumReady();
  const signing = s.crypto_sign_keypair();
  const exchange = s.crypto_box_keypair();
  const vaultSalt = s.randombytes_buf(VAULT_SALT_BYTES);
  const vaultId = vaultIdFor({ signingKey: signing.publicKey, exchangeKey: exchange.publicKey }, vaultSalt);
  const deviceId = `dev-${n}`;
  const client = new VaultClient({
    vaultId,
    deviceId,
    deviceKey: exchange,
    transport: (data) => peer.request(vaultId, deviceId, data),
    attestation: trust,
    memory: { stateVersion: 0 },
  });
  await client.call("vault.init", { op: "vault.init", pin: PIN, signingKey: signing.publicKey, vaultSalt });
  for (let i = 0; i < ITEMS; i++) {
    const value = s.randombytes_buf(ITEM_BYTES);
    await client.call("items.put", { op: "items.put", name: `item-${i}`, type: "secret", value });
  }
  return client;
}

/** Gets per second over `clients`: random items of random vaults, {@link IN_FLIGHT} at a time. */
async function getRate(clients: VaultClient[]): Promise<number> {
  const picks = Array.from({ length: GETS }, () => ({
    client: clients[Math.floor(Math.random() * clients.length)] as VaultClient,
    name: `item-${Math.floor(Math.random() * ITEMS)}`,
  }));
  // A warm-up of a quarter as many on the same set (the JIT settles), then the measured run.
  await inParallel(picks.slice(0, Math.ceil(picks.length / 4)), IN_FLIGHT, async ({ client, name }) => {
    await client.call("items.get", { op: "items.get", name });
  });
  const started = performance.now();
  await inParallel(picks, IN_FLIGHT, async ({ client, name }) => {
    await client.call("items.get", { op: "items.get", name });
  });
  return GETS / ((performance.now() - started) / 1000);
}

const used = (m: PeerMemory) => m.heapUsed + m.external - m.storeBytes;

export async function run(): Promise<Figure[]> {
  const peer = startPeer();
  try {
    const { rootCertificatePem, pcrs } = await peer.started;
    const trust = { trustedRoots: [rootCertificatePem], manifest: devManifest(pcrs) };
    const before = await peer.memory();

    const small: VaultClient[] = [];
    for (let n = 0; n < SMALL; n++) small.push(await setUpVault(peer, trust, n));
    const rateSmall = await getRate(small);
    process.stdout.write(`  get rate at ${SMALL} loaded vaults: ${rateSmall.toFixed(0)}/s\n`);

    const all = [...small];
    const started = performance.now();
    const indices = Array.from({ length: VAULTS - SMALL }, (_, i) => SMALL + i);
    await inParallel(indices, SETUP_IN_FLIGHT, async (n) => {
      all.push(await setUpVault(peer, trust, n));
      if (all.length % 1000 === 0) {
        const seconds = Math.round((performance.now() - started) / 1000);
        process.stdout.write(`  set up ${all.length} of ${VAULTS} vaults (${seconds} s)\n`);
      }
    });
    // The set-up outlasts the unlock's idle timeout (5 min): the first vaults' unlocks
    // lapsed and their inner layers were wiped. Unlock each again, so all are open.
    await inParallel(all, SETUP_IN_FLIGHT, async (client) => {
      await client.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    });
    const after = await peer.memory();
    if (after.loadedVaults !== VAULTS || after.openVaults !== VAULTS) {
      throw new Error(`${after.loadedVaults} vaults loaded and ${after.openVaults} unlocked, not ${VAULTS}`);
    }
    process.stdout.write(
      `  runtime: ${(used(after) / MiB).toFixed(1)} MiB heap + external (store ${(after.storeBytes / MiB).toFixed(1)} MiB left out), ${after.sessions} sessions\n`,
    );
    const rateAll = await getRate(all);
    process.stdout.write(`  get rate at ${VAULTS} loaded vaults: ${rateAll.toFixed(0)}/s\n`);
    const perVault = (used(after) - used(before)) / VAULTS;
    return [
      figure(
        `memory per unlocked vault with ${ITEMS} items, ${VAULTS} vaults in one runtime (growth of heapUsed + external, the blob store stand-in's bytes left out; baseline the runtime before them)`,
        "KiB",
        perVault / 1024,
        used(before) / 1024,
        "lower",
        null,
      ),
      figure(
        `runtime heapUsed + external with ${VAULTS} unlocked vaults (baseline: the 1 GiB memory budget)`,
        "MiB",
        used(after) / MiB,
        VAULT_MEMORY_BUDGET_BYTES / MiB,
        "lower",
        1,
      ),
      figure(
        `items.get rate at ${VAULTS} loaded vaults (${IN_FLIGHT} in flight; baseline: the same at ${SMALL} loaded vaults)`,
        "gets/s",
        rateAll,
        rateSmall,
        "higher",
        0.8,
      ),
    ];
  } finally {
    peer.stop();
  }
}

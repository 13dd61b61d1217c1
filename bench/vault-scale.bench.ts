/**
 * `npm run bench -- vault-scale` (issue: 10,000 vaults per runtime), also run as part
 * of `npm run bench -- vault-ops`. Dev only.
 *
 * Two vault runtimes, each in its own process (bench/vault-scale-peer.ts: the
 * production `VaultRuntime` over in-memory host stores and the simulated NSM, forked
 * with `--expose-gc`), driven from this process by the reference device client
 * (client/vault) over structured-clone IPC, one device and one session per vault:
 * the small one holds 10 vaults, the large one BENCH_SCALE_VAULTS (10,000). Every
 * vault is founded (attest, hybrid handshake, `vault.init`) and given 20 items of 256
 * bytes, then unlocked again (the set-up outlasts the 5-minute unlock idle timeout),
 * so all of them are loaded and open.
 *
 * The get rate is `items.get` of random items of random vaults of one runtime, 16 in
 * flight, BENCH_SCALE_GETS (30,000) per runtime in BENCH_SCALE_BLOCKS (6) blocks
 * that alternate between the two (small, large, large, small, …) after a warm-up of
 * each, so load from elsewhere on the machine hits both alike; each rate is the
 * median of its blocks. Each block also
 * records the CPU time of both processes and their garbage-collection pauses, so the
 * runtime's share of a get can be told from the bench client's. With BENCH_SCALE_PROFILE
 * set to a directory, one more block per runtime runs under V8's CPU profiler in both
 * processes; the profiles are written there and their top self times printed.
 *
 * Figures: memory per unlocked vault (the growth of the large runtime's heapUsed +
 * external, less the bytes the in-memory blob store holds — in production those are
 * in S3 — over its vaults); its heapUsed + external against the 1 GiB budget (target
 * ≤ 1); unlocked vaults per GiB against the issue's 10,000 (target ≥ 1); the get rate
 * at 10,000 loaded vaults against the rate at 10 (target ≥ 0.8); the runtime's CPU
 * time per get at 10,000 against 10 (reported).
 */
import { join } from "node:path";
import { VaultClient } from "../client/vault";
import { sodiumReady } from "../lib/crypto";
import type { Manifest } from "../lib/manifest";
import { VAULT_SALT_BYTES, vaultIdFor } from "../lib/vault-id";
import { devManifest } from "../local/nsm-sim";
import { VAULT_MEMORY_BUDGET_BYTES } from "../vault-enclave/runtime/limits";
import { CpuProfiler, type ProfileEntry, topSelfTime } from "./lib/cpu-profile";
import { type Figure, figure } from "./lib/figures";
import { gcMs, ProcessMeter, type ProcessSpan } from "./lib/process-meter";
import { type PeerMemory, type PeerSpan, type ScalePeer, startScalePeer } from "./lib/scale-peer";

/** vault-ops reports these figures too (`npm run bench` runs them there only). */
export const includedIn = "vault-ops";

const VAULTS = Number(process.env.BENCH_SCALE_VAULTS ?? 10_000);
const SMALL = 10;
const ITEMS = 20;
const ITEM_BYTES = 256;
/** Gets per runtime over all its blocks. */
const GETS = Number(process.env.BENCH_SCALE_GETS ?? 30_000);
const BLOCKS = Number(process.env.BENCH_SCALE_BLOCKS ?? 6);
const PROFILE_DIR = process.env.BENCH_SCALE_PROFILE;
const IN_FLIGHT = 16;
const SETUP_IN_FLIGHT = 8;
const PIN = "482915";
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The count of unlocked vaults in 1 GiB. */
const VAULTS_PER_GIB_TARGET = 10_000;

type Trust = { trustedRoots: string[]; manifest: Manifest };

/** A runtime and the devices of its vaults. */
interface Fleet {
  label: string;
  peer: ScalePeer;
  clients: VaultClient[];
}

/** One block of gets: its rate and what both processes spent on it. */
interface Block {
  rate: number;
  runtime: PeerSpan;
  client: ProcessSpan;
}

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
async function setUpVault(peer: ScalePeer, trust: Trust, n: number) {
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

/** Sets up `count` vaults in a started runtime. */
async function fleet(label: string, peer: ScalePeer, count: number): Promise<Fleet> {
  const { rootCertificatePem, pcrs } = await peer.started;
  const trust = { trustedRoots: [rootCertificatePem], manifest: devManifest(pcrs) };
  const clients: VaultClient[] = [];
  const started = performance.now();
  const indices = Array.from({ length: count }, (_, i) => i);
  await inParallel(indices, SETUP_IN_FLIGHT, async (n) => {
    clients.push(await setUpVault(peer, trust, n));
    if (clients.length % 1000 === 0) {
      const seconds = Math.round((performance.now() - started) / 1000);
      process.stdout.write(`  ${label}: set up ${clients.length} of ${count} vaults (${seconds} s)\n`);
    }
  });
  return { label, peer, clients };
}

/** `count` gets of random items of random vaults of `fleet`, {@link IN_FLIGHT} at a time; gets per second. */
async function gets(fleet: Fleet, count: number): Promise<number> {
  const { clients } = fleet;
  const picks = Array.from({ length: count }, () => ({
    client: clients[Math.floor(Math.random() * clients.length)] as VaultClient,
    name: `item-${Math.floor(Math.random() * ITEMS)}`,
  }));
  const started = performance.now();
  await inParallel(picks, IN_FLIGHT, async ({ client, name }) => {
    await client.call("items.get", { op: "items.get", name });
  });
  return count / ((performance.now() - started) / 1000);
}

/** One measured block: the rate, and both processes' spans over exactly that block. */
async function block(fleet: Fleet, count: number, meter: ProcessMeter): Promise<Block> {
  await fleet.peer.span();
  meter.span();
  const rate = await gets(fleet, count);
  const client = meter.span();
  const runtime = await fleet.peer.span();
  return { rate, runtime, client };
}

/** One more block with both processes under the CPU profiler; prints and returns the top self times. */
async function profiledBlock(fleet: Fleet, count: number, dir: string): Promise<void> {
  const own = new CpuProfiler();
  await fleet.peer.profile("");
  await own.start();
  await gets(fleet, count);
  const client = topSelfTime(await own.stop(join(dir, `vault-scale-client-${fleet.label}.cpuprofile`)), 15);
  const { top } = await fleet.peer.profile(join(dir, `vault-scale-runtime-${fleet.label}.cpuprofile`));
  const show = (who: string, entries: ProfileEntry[]) => {
    process.stdout.write(`  profile, ${who} at ${fleet.label}: top self time\n`);
    for (const e of entries) process.stdout.write(`    ${(e.self * 100).toFixed(1).padStart(5)}%  ${e.name}\n`);
  };
  show("runtime", top);
  show("client", client);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Per-get costs of a run of blocks, medians over the blocks (µs per get, GC ms per 1,000 gets). */
function costs(blocks: Block[], perBlock: number) {
  const per = (f: (b: Block) => number) => median(blocks.map((b) => (f(b) * 1000) / perBlock));
  return {
    rate: median(blocks.map((b) => b.rate)),
    rates: blocks.map((b) => Math.round(b.rate)),
    runtimeCpuUs: per((b) => b.runtime.cpuMs),
    runtimeHandleUs: per((b) => b.runtime.handledMs),
    runtimeGcUs: per((b) => gcMs(b.runtime)),
    runtimeMajorGcUs: per((b) => b.runtime.gc.major.ms + b.runtime.gc.incremental.ms),
    runtimeBusy: median(blocks.map((b) => b.runtime.loopBusy)),
    clientCpuUs: per((b) => b.client.cpuMs),
    clientGcUs: per((b) => gcMs(b.client)),
    clientBusy: median(blocks.map((b) => b.client.loopBusy)),
  };
}

function describe(label: string, c: ReturnType<typeof costs>): string {
  return (
    `${label}: ${c.rate.toFixed(0)} gets/s (blocks ${c.rates.join(", ")}); per get, runtime ` +
    `${c.runtimeCpuUs.toFixed(0)} µs CPU (${c.runtimeHandleUs.toFixed(0)} in onMessage, ` +
    `GC ${c.runtimeGcUs.toFixed(0)}, of it major ${c.runtimeMajorGcUs.toFixed(0)}; loop busy ${(c.runtimeBusy * 100).toFixed(0)}%), ` +
    `client ${c.clientCpuUs.toFixed(0)} µs CPU (GC ${c.clientGcUs.toFixed(0)}; loop busy ${(c.clientBusy * 100).toFixed(0)}%)`
  );
}

const used = (m: PeerMemory) => m.heapUsed + m.external - m.storeBytes;

export async function run(): Promise<Figure[]> {
  const peers = [startScalePeer(), startScalePeer()] as const;
  const meter = new ProcessMeter();
  try {
    await peers[1].started;
    const before = await peers[1].memory();
    const small = await fleet(`${SMALL} vaults`, peers[0], SMALL);
    const large = await fleet(`${VAULTS} vaults`, peers[1], VAULTS);
    const fleets = [small, large];
    // The set-up outlasts the unlock's idle timeout (5 min): the first vaults' unlocks
    // lapsed and their inner layers were wiped. Unlock each again, so all are open.
    for (const f of fleets) {
      await inParallel(f.clients, SETUP_IN_FLIGHT, async (client) => {
        await client.call("vault.unlock", { op: "vault.unlock", pin: PIN });
      });
    }
    const after = await large.peer.memory();
    if (after.loadedVaults !== VAULTS || after.openVaults !== VAULTS) {
      throw new Error(`${after.loadedVaults} vaults loaded and ${after.openVaults} unlocked, not ${VAULTS}`);
    }
    const smallMemory = await small.peer.memory();
    process.stdout.write(
      `  runtime: ${(used(after) / MiB).toFixed(1)} MiB heap + external (store ${(after.storeBytes / MiB).toFixed(1)} MiB left out), ${after.sessions} sessions; ` +
        `a full GC pauses it ${after.fullGcMs.toFixed(0)} ms (${smallMemory.fullGcMs.toFixed(0)} ms at ${SMALL} vaults)\n`,
    );
    for (const f of fleets) {
      const { ms } = await f.peer.sweep();
      process.stdout.write(`  ${f.label}: one periodic sweep ${ms.toFixed(1)} ms\n`);
    }

    const perBlock = Math.ceil(GETS / BLOCKS);
    for (const f of fleets) await gets(f, perBlock);
    const results = new Map<Fleet, Block[]>(fleets.map((f) => [f, []]));
    for (let i = 0; i < BLOCKS; i++) {
      const order = i % 2 === 0 ? fleets : [...fleets].reverse();
      for (const f of order) results.get(f)?.push(await block(f, perBlock, meter));
    }
    const smallCosts = costs(results.get(small) as Block[], perBlock);
    const largeCosts = costs(results.get(large) as Block[], perBlock);
    process.stdout.write(`  ${describe(small.label, smallCosts)}\n  ${describe(large.label, largeCosts)}\n`);
    if (PROFILE_DIR) for (const f of fleets) await profiledBlock(f, perBlock, PROFILE_DIR);

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
        `unlocked vaults with ${ITEMS} items per GiB of runtime heapUsed + external, at ${VAULTS} vaults (baseline: the ${VAULTS_PER_GIB_TARGET} the scale target asks for)`,
        "vaults",
        (VAULTS * GiB) / used(after),
        VAULTS_PER_GIB_TARGET,
        "higher",
        1,
      ),
      figure(
        `items.get rate at ${VAULTS} loaded vaults (${IN_FLIGHT} in flight, median of ${BLOCKS} blocks; baseline: the same at ${SMALL} loaded vaults, blocks alternated)`,
        "gets/s",
        largeCosts.rate,
        smallCosts.rate,
        "higher",
        0.8,
      ),
      figure(
        `runtime CPU time per items.get at ${VAULTS} loaded vaults (median of ${BLOCKS} blocks; baseline: the same at ${SMALL})`,
        "µs",
        largeCosts.runtimeCpuUs,
        smallCosts.runtimeCpuUs,
        "lower",
        null,
      ),
    ];
  } finally {
    meter.stop();
    for (const peer of peers) peer.stop();
  }
}

/**
 * `npm run bench -- local-ready`: the whole local topology's start-up to ready —
 * `npm start -- --serve` on a fresh state directory, from spawn to its `ready:`
 * line — beside a bare nats-server's start to ready (the same binary, JetStream on,
 * from spawn to "Server is ready"), measured in the same run (DESIGN.md §8; target
 * ≤ 10×). The processes run from esbuild bundles cached under `.vettid/cache/bundles`
 * (local/launcher/bundle-cache.ts): the main figure is a start with the cache valid
 * (what every `npm start` pays while the sources are unchanged, fresh state directory
 * or not); a second figure is the first start after a source change (the cache
 * emptied: every bundle is built in that start). Beside them, the floors every start
 * pays: `npm start -- --help` (npm, Node, the launcher's bundle loaded, no topology)
 * and a bare `node -e 0`. Rounds run each in a new random order; medians are
 * reported, and the launcher's own per-step times (its `✓ … (N ms)` lines) go to stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleCacheDir } from "../local/launcher/bundle-cache";
import { findNatsServer, freePort } from "../local/nats";
import { type Figure, figure } from "./lib/figures";

/** Rounds (each starts and stops the whole topology, about 2 s). */
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** Rounds of the first start after a source change (each builds every bundle, several seconds). */
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 3);
/** The bound: the topology ready within 10 times a bare nats-server. */
const TARGET = 10;
/** A start that takes longer is broken, not slow. */
const START_BOUND_MS = 120_000;

const root = resolve(__dirname, "..");

/** Spawns `command`, resolves with ms from spawn to the first output matching `ready`, then stops it. */
async function timeToReady(
  command: string,
  args: string[],
  ready: RegExp | "exit",
  env: NodeJS.ProcessEnv,
  first?: RegExp,
): Promise<{ ms: number; firstMs: number | undefined; output: string }> {
  const started = performance.now();
  let firstMs: number | undefined;
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ms = await new Promise<number>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${command} not ready in ${START_BOUND_MS} ms:\n${output}`)),
      START_BOUND_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (first && firstMs === undefined && first.test(output)) firstMs = performance.now() - started;
      if (ready !== "exit" && ready.test(output)) {
        clearTimeout(timer);
        done(performance.now() - started);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (ready === "exit" && code === 0) done(performance.now() - started);
      else fail(new Error(`${command} exited with ${code} before ready:\n${output}`));
    });
  });
  await stop(child);
  return { ms, firstMs, output };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.removeAllListeners("exit");
    child.once("exit", () => done());
    child.kill("SIGTERM");
  });
}

/** `npm start -- --help`: npm, Node, the bootstrap and the launcher's bundle, then exit 0. */
async function launcherLoaded(): Promise<number> {
  return (await timeToReady("npm", ["start", "--", "--help"], "exit", { ...process.env, VETTID_ENV: "local" })).ms;
}

/** A bare `node -e 0` with the Node that `npm start` runs (the project's Node 22). */
async function bareNode(): Promise<number> {
  return (await timeToReady(process.execPath, ["-e", "0"], "exit", { PATH: process.env.PATH ?? "" })).ms;
}

async function topologyReady(): Promise<{ ms: number; steps: Map<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), "vettid-ready-"));
  try {
    const { ms, firstMs, output } = await timeToReady(
      "npm",
      ["start", "--", "--serve", "--state-dir", join(dir, "local")],
      /\] ready: /,
      { ...process.env, VETTID_ENV: "local" },
      /starting the local topology/,
    );
    const steps = new Map<string, number>();
    // npm, Node and loading the launcher's modules, before its first line
    if (firstMs !== undefined) steps.set("npm and the launcher's modules loaded (spawn to its first line)", firstMs);
    for (const [, label, stepMs] of output.matchAll(/✓ (.+?) \((\d+) ms\)/g)) {
      steps.set((label as string).split(" (")[0] as string, Number(stepMs));
    }
    return { ms, steps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bareNatsReady(binary: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "vettid-bare-nats-"));
  try {
    const port = await freePort();
    const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", join(dir, "js")];
    return (await timeToReady(binary, args, /Server is ready/, { PATH: process.env.PATH ?? "" })).ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function run(): Promise<Figure[]> {
  const binary = findNatsServer();
  const samples = { topology: [] as number[], bare: [] as number[], launcher: [] as number[], node: [] as number[] };
  const cold: number[] = [];
  const steps = new Map<string, number[]>();
  const measure = {
    topology: async () => {
      const result = await topologyReady();
      for (const [label, ms] of result.steps) steps.set(label, [...(steps.get(label) ?? []), ms]);
      return result.ms;
    },
    bare: () => bareNatsReady(binary),
    launcher: launcherLoaded,
    node: bareNode,
  };
  // one warm-up of each (the bundle cache, the page cache), not counted
  for (const warm of Object.values(measure)) await warm();
  for (let round = 0; round < RUNS; round++) {
    const order = (Object.keys(measure) as (keyof typeof measure)[]).sort(() => Math.random() - 0.5);
    for (const which of order) samples[which].push(await measure[which]());
  }
  for (let round = 0; round < COLD_RUNS; round++) {
    rmSync(bundleCacheDir(root), { recursive: true, force: true });
    cold.push((await topologyReady()).ms);
  }
  // leave a valid cache behind, as a developer's next start would find it
  await topologyReady();
  for (const [label, values] of steps) process.stderr.write(`  step ${Math.round(median(values))} ms: ${label}\n`);
  const bare = median(samples.bare);
  return [
    figure(
      "local topology start to ready (npm start -- --serve, bundles cached, p50)",
      "ms",
      median(samples.topology),
      bare,
      "lower",
      TARGET,
    ),
    figure(
      "local topology first start after a source change (every bundle built in the start, p50)",
      "ms",
      median(cold),
      bare,
      "lower",
      null,
    ),
    figure(
      "npm start -- --help (npm, Node and the launcher's bundle loaded, p50)",
      "ms",
      median(samples.launcher),
      bare,
      "lower",
      null,
    ),
    figure("bare node -e 0 (the project's Node 22, p50)", "ms", median(samples.node), bare, "lower", null),
  ];
}

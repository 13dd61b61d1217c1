/**
 * `npm run bench -- local-ready`: the whole local topology's start-up to ready —
 * `npm start -- --serve` on a fresh state directory, from spawn to its `ready:`
 * line — beside a bare nats-server's start to ready (the same binary, JetStream on,
 * from spawn to "Server is ready"), measured in the same run (DESIGN.md §8; target
 * ≤ 10×). Rounds alternate the two in a new random order; medians are reported,
 * and the launcher's own per-step times (its `✓ … (N ms)` lines) go to stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { findNatsServer, freePort } from "../local/nats";
import { type Figure, figure } from "./lib/figures";

/** Rounds (each starts and stops the whole topology, about 5 s). */
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** The bound: the topology ready within 10 times a bare nats-server. */
const TARGET = 10;
/** A start that takes longer is broken, not slow. */
const START_BOUND_MS = 120_000;

const root = resolve(__dirname, "..");

/** Spawns `command`, resolves with ms from spawn to the first output matching `ready`, then stops it. */
async function timeToReady(
  command: string,
  args: string[],
  ready: RegExp,
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
      if (ready.test(output)) {
        clearTimeout(timer);
        done(performance.now() - started);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${command} exited with ${code} before ready:\n${output}`));
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
  const topology: number[] = [];
  const bare: number[] = [];
  const steps = new Map<string, number[]>();
  // one warm-up of each (tsx's cache, the page cache), not counted
  await topologyReady();
  await bareNatsReady(binary);
  for (let round = 0; round < RUNS; round++) {
    const order = Math.random() < 0.5 ? ["topology", "bare"] : ["bare", "topology"];
    for (const which of order) {
      if (which === "bare") bare.push(await bareNatsReady(binary));
      else {
        const result = await topologyReady();
        topology.push(result.ms);
        for (const [label, ms] of result.steps) steps.set(label, [...(steps.get(label) ?? []), ms]);
      }
    }
  }
  for (const [label, values] of steps) process.stderr.write(`  step ${Math.round(median(values))} ms: ${label}\n`);
  return [
    figure(
      "local topology start to ready (npm start -- --serve, p50)",
      "ms",
      median(topology),
      median(bare),
      "lower",
      TARGET,
    ),
  ];
}

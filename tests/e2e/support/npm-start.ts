import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root (where `npm start` runs). */
export const repoRoot = resolve(__dirname, "..", "..", "..");

/** `npm start -- …` as a person (or CI) runs it, with its output collected. */
export interface NpmStart {
  /** The npm process (the pid a person's `kill` reaches). */
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) of the npm process. */
  exited(): Promise<number | string | null>;
}

/** Spawns `npm start -- ...args` in the repository root. */
export function npmStart(args: string[], env: NodeJS.ProcessEnv = {}): NpmStart {
  const child = spawn("npm", ["start", "--", ...args], {
    cwd: repoRoot,
    env: { ...process.env, VETTID_ENV: "local", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
    stderr += c.toString();
  });
  const exit = new Promise<number | string | null>((done) => {
    child.once("exit", (code, signal) => done(code ?? signal));
  });
  return { child, output: () => output, stderr: () => stderr, exited: () => exit };
}

/** The lines the launcher wrote to stderr (npm's own `npm error …` lines left out). */
export function launcherStderrLines(run: NpmStart): string[] {
  return run
    .stderr()
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("npm "));
}

/** What the launcher publishes in `endpoints.json` that these tests read. */
export interface PublishedEndpoints {
  rest: string;
  nats: string;
  adminToken: string;
  proxySocket: string;
  proxyHealth: string;
  pids: Record<string, number>;
  [key: string]: unknown;
}

/** Polls `probe` every 200 ms until it returns a value (a readiness bound, not a measurement). */
export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for `ready:` and returns `stateDir/endpoints.json`. */
export function waitUntilReady(run: NpmStart, stateDir: string): Promise<PublishedEndpoints> {
  const path = join(stateDir, "endpoints.json");
  return waitFor(() => {
    if (run.child.exitCode !== null) throw new Error(`npm start exited early:\n${run.output()}`);
    return run.output().includes("ready:") && existsSync(path)
      ? (JSON.parse(readFileSync(path, "utf8")) as PublishedEndpoints)
      : undefined;
  }, `${path} and ready:`);
}

/** Whether a process with `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of `pids` exists. */
export function waitUntilGone(pids: number[]): Promise<true> {
  return waitFor(() => (pids.every((pid) => !alive(pid)) ? true : undefined), `pids ${pids.join(", ")} to exit`);
}

/** `bin/vettid ...args` as a person types it; resolves with its exit code and output. */
export function vettid(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      join(repoRoot, "bin", "vettid"),
      args,
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

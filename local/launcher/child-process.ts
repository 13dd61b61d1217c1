import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { entryCommand, repoRoot } from "./entry";
import type { ChildExit } from "./supervisor";

/** How long a child has to exit on SIGTERM before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;

/** Options of {@link localChild}. */
export interface LocalChildOptions {
  /** Its entry file, relative to the repository (run from its cached bundle). */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Its log file: stderr always, stdout too unless `stdout` is `"pipe"` (read by `ready`). */
  log: string;
  stdout: "pipe" | "log";
}

/** One child process of the local topology that can be started, stopped and started again. */
export interface LocalChild {
  readonly pid: number | undefined;
  /** Resolves when the current process exits (at once when none runs). */
  exited(): Promise<ChildExit>;
  /**
   * Spawns it (log opened with `logFlags`: `w` the first time, `a` on a restart; `env`
   * added to the options' environment) and resolves with what `ready` resolves; when
   * `ready` fails, the process is stopped.
   */
  launch<T>(logFlags: "w" | "a", ready: (child: ChildProcess) => Promise<T>, env?: NodeJS.ProcessEnv): Promise<T>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
  terminate(): Promise<void>;
  /** Stops it for good: also no SIGKILL hook on the launcher's exit any more. */
  stop(): Promise<void>;
}

/**
 * DEV ONLY. A child process of the launcher (proxy, runtime, stand-in): spawned from its
 * entry's bundle with only the environment given, killed with the launcher if it exits.
 */
export function localChild(options: LocalChildOptions): LocalChild {
  let child: ChildProcess | undefined;
  let exit: Promise<ChildExit> = Promise.resolve({ code: null, signal: null });
  const killOnExit = () => child?.kill("SIGKILL");
  process.on("exit", killOnExit);
  const terminate = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const killer = setTimeout(() => running.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const gone = new Promise<void>((done) => running.once("exit", () => done()));
    running.kill("SIGTERM");
    await gone;
    clearTimeout(killer);
  };
  return {
    get pid() {
      return child?.pid;
    },
    exited: () => exit,
    async launch(logFlags, ready, env) {
      const { command, args } = await entryCommand(options.entry);
      const logFd = openSync(options.log, logFlags, 0o600);
      try {
        child = spawn(command, args, {
          cwd: repoRoot,
          env: { ...options.env, ...env },
          stdio: ["ignore", options.stdout === "pipe" ? "pipe" : logFd, logFd],
        });
      } finally {
        closeSync(logFd);
      }
      const started = child;
      exit = new Promise((done) => started.once("exit", (code, signal) => done({ code, signal })));
      try {
        return await ready(started);
      } catch (err) {
        await terminate();
        throw err;
      }
    },
    terminate,
    async stop() {
      process.off("exit", killOnExit);
      await terminate();
    },
  };
}

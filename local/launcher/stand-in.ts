import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { StandInKind } from "../stand-in-process";
import { entryCommand, repoRoot } from "./entry";
import type { ChildExit, SupervisedChild } from "./supervisor";

/**
 * One AWS stand-in running as its own process (local/stand-in-process.ts) with its
 * state in its directory; supervised, it is restarted on the same port with that state.
 */
export interface LocalStandIn extends SupervisedChild {
  kind: StandInKind;
  /** `http://127.0.0.1:<port>` (`https://` for KMS): what the SDK clients and the proxy are given. */
  endpoint: string;
  port: number;
  /** Its state directory. */
  dir: string;
  /** Its stderr log. */
  log: string;
  stop(): Promise<void>;
}

/** Options of {@link startStandIn}. */
export interface StandInOptions {
  kind: StandInKind;
  /** What the reports call it ("dynalite", "KMS stand-in", …). */
  name: string;
  /** Its state directory (kept across restarts). */
  dir: string;
  /** Directory of its log (`<kind>-stand-in.log`). */
  logDir: string;
  /** Further environment (the KMS stand-in's TLS files, the S3 buckets). */
  env?: Record<string, string>;
  /** Whether it serves HTTPS (the endpoint's scheme). */
  https?: boolean;
}

/** Start-up budget (from the spawn; its bundle is built before): loading takes a fraction of a second; 30 s covers a busy machine. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * DEV ONLY. Starts one stand-in process on a free loopback port and resolves once it
 * listens; `restart()` starts it again on that same port, with the same directory.
 */
export async function startStandIn(options: StandInOptions): Promise<LocalStandIn> {
  const log = join(options.logDir, `${options.kind}-stand-in.log`);
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
  const launch = async (port: number, logFlags: "w" | "a"): Promise<number> => {
    const { command, args } = await entryCommand("local/stand-in-process.ts");
    const logFd = openSync(log, logFlags, 0o600);
    try {
      child = spawn(command, args, {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          VETTID_ENV: "local",
          VETTID_STAND_IN: options.kind,
          VETTID_STAND_IN_DIR: options.dir,
          VETTID_STAND_IN_PORT: String(port),
          ...options.env,
        },
        stdio: ["ignore", "pipe", logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const started = child;
    exit = new Promise((done) => started.once("exit", (code, signal) => done({ code, signal })));
    try {
      return await listening(started, options.name, log);
    } catch (err) {
      await terminate();
      throw err;
    }
  };
  let port: number;
  try {
    port = await launch(0, "w");
  } catch (err) {
    process.off("exit", killOnExit);
    throw err;
  }
  return {
    kind: options.kind,
    name: options.name,
    endpoint: `${options.https ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    dir: options.dir,
    log,
    get pid() {
      return child?.pid;
    },
    exited: () => exit,
    async restart() {
      await terminate();
      await launch(port, "a");
    },
    async stop() {
      process.off("exit", killOnExit);
      await terminate();
    },
  };
}

/** Resolves with the port of the stand-in's `ready` line; rejects when it exits first. */
function listening(child: ChildProcess, name: string, log: string): Promise<number> {
  return new Promise<number>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the ${name} was not listening within ${START_TIMEOUT_MS} ms (log: ${log})`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      let event: { event?: string; port?: number };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.event === "ready" && typeof event.port === "number") {
        clearTimeout(timer);
        resolveReady(event.port);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const tail = readFileSync(log, "utf8").trim().split("\n").slice(-3).join("\n");
      reject(new Error(`the ${name} exited with ${code ?? signal}: ${tail}`));
    });
  });
}

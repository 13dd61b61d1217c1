import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { StandInKind } from "../stand-in-process";
import { localChild } from "./child-process";
import type { SupervisedChild } from "./supervisor";

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

/**
 * DEV ONLY. Starts one stand-in process on a free loopback port and resolves once it
 * listens; `restart()` starts it again on that same port, with the same directory.
 */
export async function startStandIn(options: StandInOptions): Promise<LocalStandIn> {
  const log = join(options.logDir, `${options.kind}-stand-in.log`);
  const child = localChild({
    entry: "local/stand-in-process.ts",
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      VETTID_ENV: "local",
      VETTID_STAND_IN: options.kind,
      VETTID_STAND_IN_DIR: options.dir,
      ...options.env,
    },
    log,
    stdout: "pipe",
  });
  // 0 (a free port) the first time, the same port on a restart
  const launch = (at: number, logFlags: "w" | "a"): Promise<number> =>
    child.launch(logFlags, (started) => listening(started, options.name, log), { VETTID_STAND_IN_PORT: String(at) });
  let port: number;
  try {
    port = await launch(0, "w");
  } catch (err) {
    await child.stop();
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
      return child.pid;
    },
    exited: () => child.exited(),
    async restart() {
      await child.terminate();
      await launch(port, "a");
    },
    stop: () => child.stop(),
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

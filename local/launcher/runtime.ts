import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

/** A KMS TLS connection the runtime verified on its side (its `kms-verified` event). */
export interface KmsVerifiedEvent {
  servername: string;
  issuer: string;
  protocol: string;
}

/** The vault runtime running as its own process (local/runtime-process.ts). */
export interface LocalRuntime {
  pid: number | undefined;
  /** The runtime's stderr log. */
  log: string;
  /** Every KMS connection the runtime reported verified, in order. */
  readonly kmsVerified: KmsVerifiedEvent[];
  stop(): Promise<void>;
}

/** Options of {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  /** Directory for its log. */
  dir: string;
  /** The proxy's Unix socket. */
  socket: string;
  /** The local enclave's measured configuration file. */
  measuredConfigFile: string;
  /** The dev attestation CA directory (its simulated NSM signs with it). */
  devCaDir: string;
}

/** Start-up budget: tsx compiles the runtime, it attests to the proxy; 60 s covers a busy machine. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const repoRoot = resolve(__dirname, "..", "..");

/**
 * DEV ONLY. Starts the vault runtime as a child process, configured only by its
 * environment (the measured configuration file, the proxy socket, the dev CA), and
 * resolves once it serves.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = join(options.dir, "vault-runtime.log");
  const logFd = openSync(log, "w", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "local", "runtime-process.ts")], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        VETTID_ENV: "local",
        VETTID_RUNTIME_CONFIG: options.measuredConfigFile,
        VETTID_PROXY_SOCKET: options.socket,
        VETTID_DEV_CA_DIR: options.devCaDir,
      },
      stdio: ["ignore", "pipe", logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const kmsVerified: KmsVerifiedEvent[] = [];
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the vault runtime was not ready within ${START_TIMEOUT_MS} ms (log: ${log})`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      let event: { event?: string } & Partial<KmsVerifiedEvent>;
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.event === "ready") {
        clearTimeout(timer);
        resolveReady();
      } else if (event.event === "kms-verified") {
        kmsVerified.push({
          servername: String(event.servername),
          issuer: String(event.issuer),
          protocol: String(event.protocol),
        });
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const tail = readFileSync(log, "utf8").trim().split("\n").slice(-3).join("\n");
      reject(new Error(`the vault runtime exited with ${code ?? signal}: ${tail}`));
    });
  });
  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const killer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    await exited;
    clearTimeout(killer);
  };
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid, log, kmsVerified, stop };
}

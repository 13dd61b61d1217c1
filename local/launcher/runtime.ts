import type { ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createUser } from "@nats-io/nkeys";
import { formatCreds, mintEnclaveUserJwt, type NatsKeyHierarchy } from "../../lib/nats-auth";
import { newRuntimeId } from "../../vault-enclave/lease/record";
import { localChild } from "./child-process";
import type { SupervisedChild } from "./supervisor";

/** A KMS TLS connection the runtime verified on its side (its `kms-verified` event). */
export interface KmsVerifiedEvent {
  servername: string;
  issuer: string;
  protocol: string;
}

/**
 * The vault runtime running as its own process (local/runtime-process.ts);
 * supervised, it is restarted with the same measured configuration, and attests
 * and loads its vaults' sealed state through the proxy again.
 */
export interface LocalRuntime extends SupervisedChild {
  /** The runtime's stderr log. */
  log: string;
  /** Every KMS connection the runtime reported verified, in order. */
  readonly kmsVerified: KmsVerifiedEvent[];
  /** The runtime's id in the vault leases, from its last `ready` (the same across restarts: the launcher draws it per host). */
  readonly runtimeId: string | undefined;
  /** The pid of the runtime's current worker (the process is its in-enclave supervisor). */
  readonly workerPid: number | undefined;
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
  /** DEV ONLY: the version witness's NATS server and the runtime's own creds for it. */
  witness?: { natsUrl: string; creds: string };
  /** How the supervisor names it (default `vault runtime`). */
  name?: string;
}

/** DEV ONLY. The name of the local runtime's witness user: its inbox is `enclaveInboxPrefix` of it. */
export const LOCAL_RUNTIME_NATS_NAME = "vault-runtime-witness";

/**
 * DEV ONLY. Writes `dir/runtime-witness.creds` (mode 0600): a user for the runtime's
 * version witness, limited to the witness and lease buckets (it may create them here).
 * The launcher draws the key and signs it with the dev account key; in a deployment
 * the enclave is to draw its own key and sign its JWT with the sealed scoped runtime
 * key (decision 0072; not built yet). Its replies arrive under
 * `enclaveInboxPrefix(LOCAL_RUNTIME_NATS_NAME)`.
 */
export async function writeRuntimeWitnessCreds(dir: string, keys: NatsKeyHierarchy): Promise<string> {
  const user = createUser();
  const minted = await mintEnclaveUserJwt({
    signing: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.accountSigningSeed },
    userPublicKey: user.getPublicKey(),
    name: LOCAL_RUNTIME_NATS_NAME,
    createBuckets: true,
  });
  const path = join(dir, "runtime-witness.creds");
  writeFileSync(path, formatCreds(minted.jwt, new TextDecoder().decode(user.getSeed())), { mode: 0o600 });
  return path;
}

/** Start-up budget (from the spawn; its bundle is built before): it loads and attests to the proxy; 60 s covers a busy machine. */
const START_TIMEOUT_MS = 60_000;

/**
 * DEV ONLY. Starts the vault runtime as a child process, configured only by its
 * environment (the measured configuration file, the proxy socket, the dev CA), and
 * resolves once it serves.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = join(options.dir, "vault-runtime.log");
  const kmsVerified: KmsVerifiedEvent[] = [];
  const child = localChild({
    entry: "local/runtime-process.ts",
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      VETTID_ENV: "local",
      VETTID_RUNTIME_CONFIG: options.measuredConfigFile,
      VETTID_PROXY_SOCKET: options.socket,
      VETTID_DEV_CA_DIR: options.devCaDir,
      // the host's runtime keeps its lease identity across restarts (as one enclave's workers do)
      VETTID_RUNTIME_ID: newRuntimeId(),
      ...(options.witness
        ? { VETTID_LOCAL_WITNESS_NATS: options.witness.natsUrl, VETTID_LOCAL_WITNESS_CREDS: options.witness.creds }
        : {}),
    },
    log,
    stdout: "pipe",
  });
  /** Spawns the runtime (the same configuration every time) and waits for its `ready`. */
  let runtimeId: string | undefined;
  let workerPid: number | undefined;
  const events = {
    worker: (pid: number) => {
      workerPid = pid;
    },
    ready: (id: string | undefined) => {
      runtimeId = id;
    },
  };
  const launch = (logFlags: "w" | "a") =>
    child.launch(logFlags, (started) => readyOf(started, log, kmsVerified, events));
  try {
    await launch("w");
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    name: options.name ?? "vault runtime",
    get pid() {
      return child.pid;
    },
    get runtimeId() {
      return runtimeId;
    },
    get workerPid() {
      return workerPid;
    },
    log,
    kmsVerified,
    exited: () => child.exited(),
    async restart() {
      await child.terminate();
      await launch("a");
    },
    stop: () => child.stop(),
  };
}

/**
 * Resolves on the runtime's first `ready` event; collects its `kms-verified` events and
 * reports each worker's pid and each `ready`'s lease id (a worker restarted by the
 * in-enclave supervisor says both again) meanwhile and after.
 */
function readyOf(
  child: ChildProcess,
  log: string,
  kmsVerified: KmsVerifiedEvent[],
  events: { worker(pid: number): void; ready(runtimeId: string | undefined): void },
): Promise<void> {
  return new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the vault runtime was not ready within ${START_TIMEOUT_MS} ms (log: ${log})`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      let event: { event?: string; runtimeId?: unknown; pid?: unknown } & Partial<KmsVerifiedEvent>;
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.event === "worker" && typeof event.pid === "number") {
        events.worker(event.pid);
      } else if (event.event === "ready") {
        events.ready(typeof event.runtimeId === "string" ? event.runtimeId : undefined);
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
}

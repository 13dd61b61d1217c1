import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { formatCreds, mintHostUserJwt, type NatsKeyHierarchy } from "../../lib/nats-auth";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from "../aws/dynamodb";
import { freePort } from "../nats";
import { localChild } from "./child-process";
import type { SupervisedChild } from "./supervisor";

/** Options of {@link startLocalProxy}. */
export interface LocalProxyOptions {
  /** Directory for the socket, the host creds and the proxy's log. */
  dir: string;
  natsUrl: string;
  /** The dev key hierarchy (the account signing key mints the host user). */
  keys: NatsKeyHierarchy;
  /** `host:port` the enclave's KMS tunnel reaches (the HTTPS KMS stand-in). */
  kmsTunnelTarget: string;
  s3Endpoint: string;
  bucket: string;
  manifestFile: string;
  manifestKeyFile: string;
  devRootFile: string;
  /** The host registry: the edge's table in dynalite, where the proxy writes its heartbeat. */
  registry: { dynamodbEndpoint: string; tableName: string };
  /** The host's id in the registry (default {@link LOCAL_HOST_ID}; the second host of `--runtimes 2` has its own). */
  hostId?: string;
  /** How the supervisor names it (default `vsock proxy`). */
  name?: string;
}

/** The local topology's first vault host, as enrollment assigns it. */
export const LOCAL_HOST_ID = "local-host";

/**
 * The vsock proxy running as a child process, as on a Nitro host; supervised, it
 * is restarted on the same socket, health port and host creds.
 */
export interface LocalProxy extends SupervisedChild {
  /** Unix socket the enclave side connects to (stands in for the vsock bridge). */
  socket: string;
  /** Loopback health endpoint (`/health`: 200 when an attested enclave is served). */
  health: string;
  /** The proxy's Powertools JSON log (its stdout and stderr). */
  log: string;
  /** The host user's NATS credentials file (mode 0600). */
  creds: string;
  /**
   * Resolves once `/health` answers 200 (an attested enclave is served and NATS is
   * up), polling every 100 ms.
   * @throws Error after `timeoutMs`
   */
  serving(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A Unix socket path is at most 107 bytes (sun_path is 108 with the terminating NUL). */
const MAX_SOCKET_PATH = 107;
/** Start-up budget (counted from the spawn; its bundle is built before): loading it takes well under a second; 30 s covers a busy machine. */
const START_TIMEOUT_MS = 30_000;
const DRAIN_MS = 1_000;

/**
 * DEV ONLY. Mints a host NATS user with the dev account signing key, then starts
 * `vsock-proxy/main.ts` as a child process configured only through its documented
 * environment variables (vsock-proxy/README.md), with the dev-only endpoint and
 * root overrides pointing at the local stand-ins. Resolves once its health
 * endpoint answers.
 */
export async function startLocalProxy(options: LocalProxyOptions): Promise<LocalProxy> {
  const socket = join(options.dir, "proxy.sock");
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new Error(
      `the proxy socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter --state-dir`,
    );
  }
  rmSync(socket, { force: true });
  const hostKey = createUser();
  const host = await mintHostUserJwt({
    signing: { accountPublicKey: options.keys.accountPublicKey, signingKeySeed: options.keys.accountSigningSeed },
    userPublicKey: hostKey.getPublicKey(),
    hostId: options.hostId ?? LOCAL_HOST_ID,
  });
  const creds = join(options.dir, "host-user.creds");
  writeFileSync(creds, formatCreds(host.jwt, new TextDecoder().decode(hostKey.getSeed())), { mode: 0o600 });
  const healthPort = await freePort();
  const log = join(options.dir, "vsock-proxy.log");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    VETTID_ENV: "local",
    VETTID_PROXY_SOCKET: socket,
    VETTID_PROXY_HEALTH_PORT: String(healthPort),
    VETTID_PROXY_DRAIN_MS: String(DRAIN_MS),
    VETTID_NATS_URL: options.natsUrl,
    VETTID_NATS_CREDS: creds,
    VETTID_PROXY_VAULTS: "*",
    AWS_REGION: LOCAL_AWS_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    VETTID_KMS_TUNNEL_TARGET: options.kmsTunnelTarget,
    VETTID_BLOB_BUCKET: options.bucket,
    VETTID_S3_ENDPOINT: options.s3Endpoint,
    VETTID_MANIFEST_FILE: options.manifestFile,
    VETTID_MANIFEST_KEY_FILE: options.manifestKeyFile,
    VETTID_ATTESTATION_ROOT_FILE: options.devRootFile,
    VETTID_HOST_ID: options.hostId ?? LOCAL_HOST_ID,
    VETTID_TABLE_NAME: options.registry.tableName,
    VETTID_DYNAMODB_ENDPOINT: options.registry.dynamodbEndpoint,
  };
  const base = `http://127.0.0.1:${healthPort}`;
  const child = localChild({ entry: "vsock-proxy/main.ts", env, log, stdout: "log" });
  /** Spawns the proxy (on the same socket, ports and creds every time) and waits until it is live. */
  const launch = (logFlags: "w" | "a") => {
    // a killed proxy leaves its socket file behind
    rmSync(socket, { force: true });
    return child.launch(logFlags, (started) => waitUntilLive(started, `${base}/livez`, log));
  };
  const stop = async () => {
    await child.stop();
    rmSync(socket, { force: true });
    rmSync(creds, { force: true });
  };
  try {
    await launch("w");
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: options.name ?? "vsock proxy",
    socket,
    health: `${base}/health`,
    log,
    creds,
    get pid() {
      return child.pid;
    },
    exited: () => child.exited(),
    async restart() {
      await child.terminate();
      await launch("a");
    },
    serving: (timeoutMs) => waitUntilHealthy(`${base}/health`, timeoutMs),
    stop,
  };
}

async function waitUntilHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`the proxy reports no attested enclave within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitUntilLive(child: ChildProcess, url: string, log: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(log, "utf8").trim().split("\n").slice(-3).join("\n");
      throw new Error(`the vsock proxy exited with ${child.exitCode ?? child.signalCode}: ${tail}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`the vsock proxy was not live within ${START_TIMEOUT_MS} ms (log: ${log})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

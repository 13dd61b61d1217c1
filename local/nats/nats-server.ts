import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNatsServer } from "./find-binary";
import { freePort } from "./free-port";

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream with its store in the server's directory (default true). */
  jetstream?: boolean;
  /** Directory for config and JetStream store; a fresh temp dir when absent (removed on stop). */
  dir?: string;
  /** Extra nats-server configuration appended verbatim (e.g. operator/resolver blocks). */
  extraConfig?: string;
  /** Client port; a free one when absent. */
  port?: number;
  /** Server name (required to be unique in a cluster). */
  name?: string;
  /** Cluster settings, used by {@link startNatsCluster}. */
  cluster?: { name: string; port: number; routes: number[] };
  /** Milliseconds to wait for readiness (default 15,000). */
  readyTimeoutMs?: number;
}

/** A running nats-server child process. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly dir: string;
  readonly name: string;
  readonly pid: number | undefined;
  /** The nats-server binary it runs ({@link findNatsServer}). */
  readonly binary: string;
  /**
   * Resolves when the running server process exits, however it ends (at once when
   * none runs); a supervisor's hook for a server killed from outside.
   */
  exited(): Promise<{ code: number | null; signal: string | null }>;
  /**
   * What the server wrote to stderr since it started (the last {@link LOG_KEEP_CHARS}
   * characters; every start of a restart appends), to wait for a logged event.
   */
  log(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temp dir if it made one. */
  stop(): Promise<void>;
  /** Stops the server, keeping its directory, and starts it again on the same ports and store. */
  restart(): Promise<void>;
}

/** How much of a server's stderr {@link NatsServer.log} keeps: enough for the events of one test. */
const LOG_KEEP_CHARS = 256 * 1024;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/**
 * Starts a real nats-server on loopback with JetStream in a temp directory and
 * resolves when it accepts clients. Every started server is killed when the
 * calling process exits, also when a test fails before calling `stop()`.
 *
 * @example
 * const server = await startNatsServer();
 * const nc = await connect({ servers: server.url });
 * …
 * await server.stop();
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = findNatsServer();
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "vettid-nats-"));
  const port = options.port ?? (await freePort());
  // The kernel may hand the same just-closed port out twice in a row: a monitor port
  // equal to the client port makes nats-server fail to bind.
  let monitorPort = await freePort();
  while (monitorPort === port) monitorPort = await freePort();
  const name = options.name ?? `vettid-${port}`;
  const configPath = join(dir, `${name}.conf`);
  writeFileSync(configPath, renderConfig({ ...options, port, monitorPort, name, dir }));
  installExitHook();

  let child: ChildProcess | undefined;
  let exit: Promise<{ code: number | null; signal: string | null }> = Promise.resolve({ code: null, signal: null });
  let log = "";
  const launch = async () => {
    child = spawn(binary, ["-c", configPath], { stdio: ["ignore", "ignore", "pipe"] });
    running.add(child);
    const started = child;
    exit = new Promise((done) => started.once("exit", (code, signal) => done({ code, signal })));
    started.once("exit", () => running.delete(started));
    started.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-LOG_KEEP_CHARS);
    });
    await waitForReady(started, options.readyTimeoutMs ?? 15_000);
  };
  const stopChild = async () => {
    if (child) await terminate(child);
    child = undefined;
  };

  try {
    await launch();
  } catch (err) {
    await stopChild();
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorPort,
    dir,
    name,
    get pid() {
      return child?.pid;
    },
    binary,
    exited: () => exit,
    log: () => log,
    async stop() {
      await stopChild();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopChild();
      await launch();
    },
  };
}

/** A running cluster of nats-servers with routes between them. */
export interface NatsCluster {
  readonly servers: NatsServer[];
  /** Client URLs of every node, for a client's `servers` option. */
  readonly urls: string[];
  stop(): Promise<void>;
}

/**
 * Starts `size` nats-servers (default 3) joined in one cluster with JetStream,
 * and resolves when every node sees a route to every other node.
 */
export async function startNatsCluster(
  size = 3,
  options: Omit<NatsServerOptions, "cluster" | "port" | "name" | "dir"> = {},
): Promise<NatsCluster> {
  const clusterName = `vettid-${process.pid}-${Date.now()}`;
  const clusterPorts: number[] = [];
  for (let i = 0; i < size; i += 1) clusterPorts.push(await freePort());
  const servers: NatsServer[] = [];
  try {
    const starting = clusterPorts.map((clusterPort, i) =>
      startNatsServer({
        ...options,
        name: `n${i + 1}-${clusterPort}`,
        cluster: { name: clusterName, port: clusterPort, routes: clusterPorts.filter((p) => p !== clusterPort) },
      }).then((server) => {
        servers.push(server);
        return server;
      }),
    );
    await Promise.all(starting);
    await Promise.all(servers.map((server) => waitForRoutes(server, size - 1, options.readyTimeoutMs ?? 15_000)));
  } catch (err) {
    await Promise.all(servers.map((server) => server.stop()));
    throw err;
  }
  servers.sort((a, b) => a.name.localeCompare(b.name));
  return {
    servers,
    urls: servers.map((server) => server.url),
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

function renderConfig(o: NatsServerOptions & { port: number; monitorPort: number; name: string; dir: string }): string {
  const lines = [
    `server_name: ${JSON.stringify(o.name)}`,
    `listen: "127.0.0.1:${o.port}"`,
    `http: "127.0.0.1:${o.monitorPort}"`,
  ];
  if (o.jetstream ?? true) {
    lines.push(
      `jetstream { store_dir: ${JSON.stringify(join(o.dir, `js-${o.name}`))}, max_memory_store: 64MB, max_file_store: 1GB }`,
    );
  }
  if (o.cluster) {
    const routes = o.cluster.routes.map((p) => JSON.stringify(`nats-route://127.0.0.1:${p}`)).join(", ");
    lines.push(
      `cluster { name: ${JSON.stringify(o.cluster.name)}, listen: "127.0.0.1:${o.cluster.port}", routes: [${routes}] }`,
    );
  }
  if (o.extraConfig) lines.push(o.extraConfig);
  return `${lines.join("\n")}\n`;
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(
      () => finish(new Error(`nats-server not ready after ${timeoutMs} ms:\n${log.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Server is ready")) finish();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`nats-server exited with code ${code} before it was ready:\n${log.slice(-2000)}`));
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      // keep draining stderr so the child never blocks on a full pipe
      child.stderr?.resume();
      if (err) reject(err);
      else resolve();
    };
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/**
 * Resolves when `server`'s monitoring endpoint reports at least `expected` routes.
 * @throws Error after `timeoutMs` (a readiness bound, not a measurement)
 */
export async function waitForRoutes(server: NatsServer, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${server.monitorPort}/routez`);
      const body = (await response.json()) as { num_routes?: number };
      if ((body.num_routes ?? 0) >= expected) return;
    } catch {
      // monitoring endpoint not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`${server.name} has fewer than ${expected} routes after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

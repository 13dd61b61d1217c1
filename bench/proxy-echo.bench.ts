/**
 * `npm run bench -- proxy-echo`: request/response through device → NATS → proxy →
 * enclave-side echo (over the Unix-socket frame link), beside a bare NATS
 * request/reply echo on the same nats-server in the same run.
 *
 * Figures (DESIGN.md §8): p50 latency of sequential requests (target: at most 2× the
 * bare echo) and throughput with 64 concurrent requesters (64 devices) (target: at least 0.5× the
 * bare echo). The proxy and the enclave-side client run in a child process each, as
 * on a host (proxy) and in an enclave (runtime); the bare echo responder runs in a
 * child process too, and the requesters (the devices) in this process. The enclave attests with the simulated NSM and the
 * proxy verifies it against the dev root and a manifest before bridging.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { deviceInboxPrefix, vaultRequestSubject } from "../lib/subjects";
import { startNatsServer } from "../local/nats";
import { type Figure, figure } from "./lib/figures";

const PAYLOAD_BYTES = 256;
const WARMUP = 300;
const SEQUENTIAL = 2_000;
const CONCURRENCY = 64;
const PER_REQUESTER = 150;
const VAULT = "bench-vault";
const DEVICE = "bench-device";

/** Starts one side of the echo (bench/proxy-echo-peer.ts) and waits until it is serving. */
async function startPeer(role: "bare" | "proxy" | "enclave", natsUrl: string, dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      "--import",
      "tsx",
      join(__dirname, "proxy-echo-peer.ts"),
    ],
    {
      env: {
        ...process.env,
        VETTID_ENV: "local",
        BENCH_ROLE: role,
        BENCH_NATS_URL: natsUrl,
        BENCH_SOCKET: join(dir, "enclave.sock"),
        BENCH_CA_DIR: join(dir, "ca"),
        BENCH_VAULT: VAULT,
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`echo peer exited with ${code}`)));
  });
  return child;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function latency(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < WARMUP; i += 1) await nc.request(subject, payload, { timeout: 5_000 });
  const samples: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i += 1) {
    const start = process.hrtime.bigint();
    await nc.request(subject, payload, { timeout: 5_000 });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/**
 * `CONCURRENCY` devices, each on its own connection with its own inbox, each sending
 * `PER_REQUESTER` requests one after the other on `subjectOf(index)`. (One device may
 * hold only a few replies outstanding at the proxy: its reply grants are per device.)
 */
async function throughput(
  devices: NatsConnection[],
  subjectOf: (index: number) => string,
  payload: Uint8Array,
): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(
    devices.map(async (nc, index) => {
      const subject = subjectOf(index);
      for (let i = 0; i < PER_REQUESTER; i += 1) await nc.request(subject, payload, { timeout: 10_000 });
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (CONCURRENCY * PER_REQUESTER) / seconds;
}

/** Runs the benchmark. */
export async function run(): Promise<Figure[]> {
  const server = await startNatsServer({ jetstream: false });
  const peers: ChildProcess[] = [];
  const connections: NatsConnection[] = [];
  try {
    const dir = mkdtempSync(join(tmpdir(), "vp-bench-"));
    // Baseline: a bare NATS echo responder in its own process, like the enclave.
    peers.push(await startPeer("bare", server.url, dir));
    const device = await connect({ servers: server.url, inboxPrefix: deviceInboxPrefix(DEVICE) });
    connections.push(device);
    const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);

    peers.push(await startPeer("proxy", server.url, dir));
    peers.push(await startPeer("enclave", server.url, dir));
    const proxied = vaultRequestSubject(VAULT, DEVICE);

    const bareLatency = await latency(device, "bench.echo", payload);
    const proxyLatency = await latency(device, proxied, payload);
    const devices = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, i) =>
        connect({ servers: server.url, inboxPrefix: deviceInboxPrefix(`${DEVICE}-${i}`) }),
      ),
    );
    connections.push(...devices);
    const bareThroughput = await throughput(devices, () => "bench.echo", payload);
    const proxyThroughput = await throughput(devices, (i) => vaultRequestSubject(VAULT, `${DEVICE}-${i}`), payload);

    return [
      figure("p50 latency (sequential echo)", "ms", proxyLatency.p50, bareLatency.p50, "lower", 2),
      figure("p99 latency (sequential echo)", "ms", proxyLatency.p99, bareLatency.p99, "lower", null),
      figure(
        `throughput (${CONCURRENCY} concurrent requesters)`,
        "req/s",
        proxyThroughput,
        bareThroughput,
        "higher",
        0.5,
      ),
    ];
  } finally {
    for (const peer of peers) peer.kill("SIGTERM");
    await Promise.all(connections.map((c) => c.close()));
    await server.stop();
  }
}

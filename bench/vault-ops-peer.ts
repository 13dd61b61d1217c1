/**
 * One side of the vault-ops benchmark, run as its own process (BENCH_ROLE). Dev only.
 *
 * - `runtime`: the vault runtime exactly as local/runtime-process.ts runs it (that
 *   module, the same environment: measured configuration, proxy socket, dev CA,
 *   simulated NSM), with two dev-only additions on its stdin: `memory` answers a JSON
 *   line `{"event":"memory", …process.memoryUsage()}` after a full garbage collection
 *   (start it with `--expose-gc`), `timings` answers the wall times of the requests it
 *   handled and of its conditional blob writes since the last `timings`.
 * - `echo`: the baseline of the latency figures, a plain NATS echo responder on
 *   `bench.echo` (BENCH_NATS_URL, BENCH_NATS_CREDS). Prints `ready`.
 * - `s3put`: the baseline of the put figure's blob write, the vsock proxy's own blob
 *   store (vsock-proxy/upstreams/s3, an S3 SDK PutObject with `If-Match` of the current
 *   ETag) with the proxy's S3 client settings, on the same S3 stand-in. Creates its
 *   object of BENCH_BLOB_BYTES, prints `ready`, then for each line `<n>` on stdin makes
 *   n conditional puts one after the other and prints their durations (ms) as a JSON array.
 * - `argon2`: the baseline of the unlock throughput, `crypto_pwhash` (Argon2id at
 *   DEFAULT_ARGON2ID) through the runtime's own KeyedSemaphore with its
 *   MAX_CONCURRENT_ARGON2 / MAX_QUEUED_PER_DEVICE. Prints `ready` after a warm-up
 *   derivation, then for each line `<callers> <each>` on stdin lets that many callers
 *   derive that many times each, one after the other, and prints `{"seconds": …}`.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { S3Client } from "@aws-sdk/client-s3";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { sodiumReady } from "../lib/crypto";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from "../local/aws/dynamodb";
import { newRuntimeId } from "../vault-enclave/lease/record";
import { MAX_CONCURRENT_ARGON2, MAX_QUEUED_PER_DEVICE } from "../vault-enclave/runtime/limits";
import { KeyedSemaphore } from "../vault-enclave/runtime/semaphore";
import { DEFAULT_ARGON2ID, derivePinKey } from "../vault-enclave/state";
import { s3BlobStore } from "../vsock-proxy/upstreams/s3";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

/** Wraps an async method so each call's wall time (ms) lands in `into`. */
function timeMethod(prototype: object, name: string, into: number[]): void {
  const methods = prototype as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = methods[name];
  if (typeof original !== "function") throw new Error(`no method ${name} to time`);
  methods[name] = async function (this: unknown, ...args: unknown[]) {
    const start = process.hrtime.bigint();
    try {
      return await original.apply(this, args);
    } finally {
      into.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  };
}

async function runtime(): Promise<void> {
  // Timing hooks, in place before the runtime is built: a request's whole handling in
  // the runtime (parse, session, vault operation, sealed answer handed to the link)
  // and each conditional write's round trip through the proxy to the store.
  const timings = { messages: [] as number[], blobPuts: [] as number[] };
  const { VaultRuntime } = await import("../vault-enclave/runtime/vault-runtime");
  const { BlobChannel } = await import("../lib/proxy-client");
  timeMethod(VaultRuntime.prototype, "onMessage", timings.messages);
  timeMethod(BlobChannel.prototype, "put", timings.blobPuts);
  const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const gc = (globalThis as { gc?: () => void }).gc;
  const commands: Record<string, () => Promise<void> | void> = {
    timings() {
      emit({ event: "timings", messages: timings.messages.splice(0), blobPuts: timings.blobPuts.splice(0) });
    },
    async memory() {
      timings.messages.length = 0;
      timings.blobPuts.length = 0;
      // Twice, with a turn of the event loop between: finalizers of the first pass run.
      gc?.();
      await new Promise((resolve) => setImmediate(resolve));
      gc?.();
      emit({ event: "memory", collected: gc !== undefined, ...process.memoryUsage() });
    },
  };
  createInterface({ input: process.stdin }).on("line", (line) => void commands[line.trim()]?.());
  // the worker itself, in this process (where the hooks are), not the supervisor that
  // would run it as a child; one lease identity, as the supervisor would hand it
  process.env.VETTID_RUNTIME_WORKER = "1";
  process.env.VETTID_RUNTIME_ID ??= newRuntimeId();
  await import("../local/runtime-process");
}

async function echo(): Promise<void> {
  const nc = await connect({
    servers: env("BENCH_NATS_URL"),
    authenticator: credsAuthenticator(readFileSync(env("BENCH_NATS_CREDS"))),
  });
  nc.subscribe("bench.echo", {
    callback: (err, msg) => {
      if (err) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(1);
      }
      msg.respond(msg.data);
    },
  });
  await nc.flush();
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void nc.close().then(() => process.exit(0)));
}

async function s3put(): Promise<void> {
  // The vsock proxy's S3 client (vsock-proxy/main.ts), with the stand-in's endpoint.
  const s3 = new S3Client({
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 },
    endpoint: env("BENCH_S3_ENDPOINT"),
    forcePathStyle: true,
  });
  const store = s3BlobStore(s3, env("BENCH_BUCKET"));
  const key = "vaults/bench-baseline/state";
  const data = new Uint8Array(Number(env("BENCH_BLOB_BYTES"))).fill(7);
  let version = await store.put(key, data, null);
  process.stdout.write("ready\n");
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    void (async () => {
      const samples: number[] = [];
      for (let i = 0; i < Number(line); i += 1) {
        data[i % data.length] = i & 0xff;
        const start = process.hrtime.bigint();
        version = await store.put(key, data, version);
        samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      process.stdout.write(`${JSON.stringify(samples)}\n`);
    })();
  });
  lines.once("close", () => {
    s3.destroy();
    process.exit(0);
  });
}

async function argon2(): Promise<void> {
  const s = await sodiumReady();
  const salt = s.randombytes_buf(16);
  // warm-up: the first derivation grows libsodium's WebAssembly memory to 64 MiB
  s.memzero(derivePinKey("482915", salt, DEFAULT_ARGON2ID));
  const semaphore = new KeyedSemaphore(MAX_CONCURRENT_ARGON2, MAX_QUEUED_PER_DEVICE);
  process.stdout.write("ready\n");
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const [devices = 0, perDevice = 0] = line.split(" ").map(Number);
    void (async () => {
      const start = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: devices }, async (_, d) => {
          for (let i = 0; i < perDevice; i += 1) {
            const key = await semaphore.run(`device-${d}`, () => derivePinKey("482915", salt, DEFAULT_ARGON2ID));
            s.memzero(key);
            // the runtime's unlock yields between derivations (its conditional writes)
            await new Promise((resolve) => setImmediate(resolve));
          }
        }),
      );
      process.stdout.write(`${JSON.stringify({ seconds: Number(process.hrtime.bigint() - start) / 1e9 })}\n`);
    })();
  });
  lines.once("close", () => process.exit(0));
}

const roles = { runtime, echo, s3put, argon2 } as const;
const role = roles[process.env.BENCH_ROLE as keyof typeof roles];
if (!role) {
  process.stderr.write(`error: BENCH_ROLE must be one of ${Object.keys(roles).join(", ")}\n`);
  process.exit(2);
}
role().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

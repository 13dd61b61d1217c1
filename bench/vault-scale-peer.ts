/**
 * The runtime side of the vault-scale benchmark, run as its own process (forked with
 * `--expose-gc` and structured-clone IPC). Dev only.
 *
 * The vault runtime (`VaultRuntime`, the production class) over in-memory host stores:
 * the blob store and KMS stand-ins of tests/unit/enclave/runtime/harness.ts and the
 * simulated NSM. No proxy and no NATS: the figures are about what the runtime holds
 * and how its work per request grows with the vaults it holds, and every hop outside
 * it would be the same at 10 vaults as at 10,000.
 *
 * Messages from the parent, each answered with a message of the same `t`:
 * - `{t: "request", vaultId, deviceId, reply, data}`: handed to `onMessage` as the
 *   proxy would; answered `{t: "answer", reply, data}`.
 * - `{t: "memory"}`: `{t: "memory", …}` after a full garbage collection, with the
 *   vault counts, the bytes the stand-in blob store holds and how long that
 *   collection paused the process (`fullGcMs`).
 * - `{t: "span"}`: what this process spent since the last `span` (bench/lib/process-meter:
 *   wall and CPU time, event-loop use, GC pauses by kind), with the requests handled
 *   and their summed wall time inside `onMessage`.
 * - `{t: "sweep"}`: runs the runtime's periodic sweep once; `{t: "sweep", ms}`.
 * - `{t: "profile", path}`: starts V8's CPU profiler, or, when running, stops it and
 *   writes `path`; `{t: "profile", top}` (the functions with the most self time).
 * On start it sends `{t: "ready", rootCertificatePem, pcrs}`.
 */
import { performance } from "node:perf_hooks";
import { sodiumReady } from "../lib/crypto";
import { vaultRequestSubject } from "../lib/subjects";
import { createSimulatedNsm } from "../local/nsm-sim";
import { MemoryBlobs, memoryKms } from "../tests/unit/enclave/runtime/harness";
import type { RuntimePorts } from "../vault-enclave/runtime/ports";
import { VaultRuntime } from "../vault-enclave/runtime/vault-runtime";
import type { Argon2idParams } from "../vault-enclave/state";
import { CpuProfiler, topSelfTime } from "./lib/cpu-profile";
import { ProcessMeter } from "./lib/process-meter";

/**
 * Argon2id for the set-up's PIN records: the smallest cost the state accepts, so that
 * 10,000 vaults can be created in minutes. The derived PIN key is 32 bytes whatever
 * the cost and Argon2id's memory is freed once it returns, so what a vault holds is
 * the same; the unlock's own cost is vault-ops' unlock throughput figure.
 */
export const SETUP_ARGON2: Argon2idParams = { opsLimit: 1, memLimitBytes: 8 * 1024 };

type Message =
  | { t: "request"; vaultId: string; deviceId: string; reply: string; data: Uint8Array }
  | { t: "memory" }
  | { t: "span" }
  | { t: "sweep" }
  | { t: "profile"; path: string };

async function main(): Promise<void> {
  await sodiumReady();
  const send = (message: unknown) => process.send?.(message);
  const nsm = await createSimulatedNsm({ dev: true });
  const blobs = new MemoryBlobs();
  const ports: RuntimePorts = {
    nsm,
    kms: memoryKms(),
    blobs,
    nats: {
      async subscribe() {
        return { unsubscribe: async () => undefined };
      },
      respond(reply, data) {
        if (!reply) return false;
        send({ t: "answer", reply, data });
        return true;
      },
    },
    log: () => undefined,
    now: Date.now,
  };
  // The default memory budget (1 GiB of heap + external) stays in force.
  const runtime = new VaultRuntime({ ports, argon2Params: SETUP_ARGON2 });
  await runtime.serveAs("all");
  const gc = (globalThis as { gc?: () => void }).gc;
  const meter = new ProcessMeter();
  const handled = { count: 0, ms: 0 };
  let profiler: CpuProfiler | undefined;
  process.on("message", async (message: Message) => {
    if (message.t === "request") {
      const subject = vaultRequestSubject(message.vaultId, message.deviceId);
      const started = performance.now();
      await runtime.onMessage({ subject, reply: message.reply, data: new Uint8Array(message.data) });
      handled.count += 1;
      handled.ms += performance.now() - started;
    } else if (message.t === "span") {
      send({ t: "span", ...meter.span(), handled: handled.count, handledMs: handled.ms });
      handled.count = 0;
      handled.ms = 0;
    } else if (message.t === "sweep") {
      const started = performance.now();
      await runtime.sweep();
      send({ t: "sweep", ms: performance.now() - started });
    } else if (message.t === "profile") {
      if (profiler) {
        const profile = await profiler.stop(message.path);
        profiler = undefined;
        send({ t: "profile", top: topSelfTime(profile, 25) });
      } else {
        profiler = new CpuProfiler();
        await profiler.start();
        send({ t: "profile", top: [] });
      }
    } else if (message.t === "memory") {
      const started = performance.now();
      gc?.();
      const fullGcMs = performance.now() - started;
      setImmediate(() => {
        gc?.();
        send({
          t: "memory",
          collected: gc !== undefined,
          fullGcMs,
          loadedVaults: runtime.loadedVaultCount,
          openVaults: runtime.openVaultCount,
          sessions: runtime.sessionCount,
          // The stand-in store's bytes live in this process, as S3's never live in an
          // enclave: reported, so the figure can leave them out.
          storeBytes: [...blobs.objects.values()].reduce((n, o) => n + o.data.byteLength, 0),
          ...process.memoryUsage(),
        });
      });
    }
  });
  send({ t: "ready", rootCertificatePem: nsm.rootCertificatePem, pcrs: nsm.pcrs });
}

void main();

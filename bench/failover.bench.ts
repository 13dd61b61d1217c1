/**
 * `npm run bench -- failover`: how long a vault is out of service when its owner dies,
 * over the local topology with two vault hosts (`--runtimes 2`): from SIGKILL of the
 * runtime holding the vault's lease to the first successful `items.get` answered by
 * the other runtime (the device attests, handshakes and unlocks again there), beside
 * the lease's expiry (decision 0071), in seconds, in the same run. The bound is the
 * issue's 10 s, so the target ratio is 10 s over the lease's 5 s. Each round kills the
 * current owner and restarts it after; the median is reported.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sodiumReady } from "../lib/crypto";
import { devLeaseOwner, enrollDevDevice } from "../local/dev-device";
import { createProgress } from "../local/launcher/progress";
import { startTopology } from "../local/launcher/topology";
import { LEASE_TTL_MS } from "../vault-enclave/lease";
import { type Figure, figure } from "./lib/figures";

const ROUNDS = Number(process.env.BENCH_RUNS ?? 5);
const PIN = "482915";
/** The acceptance bound: another runtime serves within 10 s of the owner's death. */
const BOUND_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function run(): Promise<Figure[]> {
  await sodiumReady();
  const dir = mkdtempSync(join(tmpdir(), "vettid-failover-"));
  const topology = await startTopology(
    join(dir, "local"),
    createProgress(() => undefined),
    { runtimes: 2 },
  );
  const device = await enrollDevDevice(topology, { timeoutMs: 500 });
  try {
    await device.init(PIN);
    await device.vault.call("items.put", { op: "items.put", name: "n", type: "secret", value: Buffer.from("v") });
    const samples: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ownerId = await devLeaseOwner(topology, device.enrollment.vaultId);
      const owner = topology.hosts.find((h) => h.runtime.runtimeId === ownerId);
      if (!owner) throw new Error("no runtime holds the vault's lease");
      const killed = performance.now();
      // the runtime process (its supervisor; the worker stops within 200 ms): the enclave dies
      process.kill(owner.runtime.pid as number, "SIGKILL");
      for (;;) {
        try {
          await device.vault.call("vault.unlock", { op: "vault.unlock", pin: PIN });
          await device.vault.call("items.get", { op: "items.get", name: "n" });
          break;
        } catch {
          if (performance.now() - killed > 60_000) throw new Error("no runtime served the vault within 60 s");
          await sleep(50);
        }
      }
      const ms = performance.now() - killed;
      samples.push(ms);
      process.stderr.write(`  round ${round + 1}: served again after ${Math.round(ms)} ms\n`);
      await owner.runtime.restart();
    }
    const seconds = median(samples) / 1000;
    return [
      figure(
        "failover: owner SIGKILLed → first successful get by the other runtime (p50), beside the lease expiry",
        "s",
        seconds,
        LEASE_TTL_MS / 1000,
        "lower",
        BOUND_MS / LEASE_TTL_MS,
      ),
    ];
  } finally {
    await device.close();
    await topology.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

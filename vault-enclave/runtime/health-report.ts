import type { METRIC_UNITS } from "../../lib/proxy-protocol";

/** How often the runtime reports its health to the host (one point per metric). */
export const HEALTH_REPORT_MS = 60_000;

/** One data point, as the proxy's `metrics` channel takes it (the host adds `enclave.`). */
export interface HealthPoint {
  name: string;
  unit: (typeof METRIC_UNITS)[number];
  value: number;
}

/** What the report reads: counts, never anything of a vault. */
export interface RuntimeHealthSource {
  readonly loadedVaultCount: number;
  readonly sessionCount: number;
  /** Vaults whose lease this runtime holds (undefined without leases): the heartbeat's `vaultCount`. */
  readonly ownedVaultCount?: number | undefined;
}

/**
 * The runtime's health as metric points: loaded vaults, live sessions, the process's
 * heap and external memory (the memory budget's figure) and, with leases, the vaults
 * it owns (the proxy's heartbeat reports that as the host's `vaultCount`). Counts and sizes
 * only: the host learns how busy the enclave is, which it sees from the traffic
 * anyway, and nothing about any vault.
 */
export function healthPoints(
  runtime: RuntimeHealthSource,
  memory: () => Pick<NodeJS.MemoryUsage, "heapUsed" | "external"> = process.memoryUsage,
): HealthPoint[] {
  const { heapUsed, external } = memory();
  return [
    { name: "LoadedVaults", unit: "Count", value: runtime.loadedVaultCount },
    { name: "Sessions", unit: "Count", value: runtime.sessionCount },
    { name: "HeapAndExternalBytes", unit: "Bytes", value: heapUsed + external },
    ...(runtime.ownedVaultCount !== undefined
      ? [{ name: "OwnedVaults", unit: "Count" as const, value: runtime.ownedVaultCount }]
      : []),
  ];
}

/**
 * Sends {@link healthPoints} every `everyMs` (and once at start) through `send`
 * (the proxy link's one-way metric; dropped while disconnected).
 * @returns a function that stops the reports.
 */
export function startHealthReports(options: {
  runtime: RuntimeHealthSource;
  send: (point: HealthPoint) => void;
  everyMs?: number;
  memory?: () => Pick<NodeJS.MemoryUsage, "heapUsed" | "external">;
}): () => void {
  const report = () => {
    for (const point of healthPoints(options.runtime, options.memory)) options.send(point);
  };
  report();
  const timer = setInterval(report, options.everyMs ?? HEALTH_REPORT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

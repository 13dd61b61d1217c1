import { type PerformanceEntry, PerformanceObserver, performance } from "node:perf_hooks";

/** What one process spent between two readings of a {@link ProcessMeter}. */
export interface ProcessSpan {
  /** Wall time, ms. */
  wallMs: number;
  /** CPU time of the whole process (user + system, every thread), ms. */
  cpuMs: number;
  /** Share of the wall time the event loop was busy (0–1). */
  loopBusy: number;
  /** Garbage collection pauses of the main thread: how many and how long (ms), by kind. */
  gc: Record<GcKind, { count: number; ms: number }>;
}

/** V8's collection kinds as perf_hooks names them (`NODE_PERFORMANCE_GC_*`). */
const GC_KINDS = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" } as const;
type GcKind = (typeof GC_KINDS)[keyof typeof GC_KINDS];

/**
 * Reads a process's wall time, CPU time, event-loop utilization and garbage collection
 * pauses (perf_hooks `gc` entries) from one {@link span} to the next, so a benchmark
 * can tell how its time divides between work, waiting and collection. Dev only.
 */
export class ProcessMeter {
  private readonly observer: PerformanceObserver;
  private gc = emptyGc();
  private wall = performance.now();
  private cpu = process.cpuUsage();
  private loop = performance.eventLoopUtilization();

  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.record(entry);
    });
    this.observer.observe({ entryTypes: ["gc"] });
  }

  /** What the process spent since the last call (or since it was built), and starts the next span. */
  span(): ProcessSpan {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const out: ProcessSpan = {
      wallMs: wall - this.wall,
      cpuMs: (cpu.user - this.cpu.user + cpu.system - this.cpu.system) / 1000,
      loopBusy: performance.eventLoopUtilization(loop, this.loop).utilization,
      gc: this.gc,
    };
    this.wall = wall;
    this.cpu = cpu;
    this.loop = loop;
    this.gc = emptyGc();
    return out;
  }

  stop(): void {
    this.observer.disconnect();
  }

  private record(entry: PerformanceEntry): void {
    const detail = (entry as { detail?: { kind?: number } }).detail;
    const kind = GC_KINDS[detail?.kind as keyof typeof GC_KINDS];
    if (!kind) return;
    this.gc[kind].count += 1;
    this.gc[kind].ms += entry.duration;
  }
}

function emptyGc(): ProcessSpan["gc"] {
  return {
    minor: { count: 0, ms: 0 },
    major: { count: 0, ms: 0 },
    incremental: { count: 0, ms: 0 },
    weakcb: { count: 0, ms: 0 },
  };
}

/** The collection pauses of a span in total, ms. */
export function gcMs(span: ProcessSpan): number {
  return Object.values(span.gc).reduce((sum, g) => sum + g.ms, 0);
}

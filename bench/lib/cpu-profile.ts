import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/** A V8 CPU profile as `Profiler.stop` returns it (the `.cpuprofile` format). */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * Samples this process's CPU with V8's profiler (the same as `node --cpu-prof`, but
 * only between {@link start} and {@link stop}, so a benchmark profiles one phase).
 * Dev only.
 */
export class CpuProfiler {
  private session: Session | undefined;

  async start(intervalMicros = 200): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: intervalMicros });
    await session.post("Profiler.start");
    this.session = session;
  }

  /** Stops sampling and writes the profile to `path` (open it in Chrome DevTools); returns it. */
  async stop(path: string): Promise<CpuProfile> {
    const session = this.session;
    if (!session) throw new Error("the profiler was not started");
    this.session = undefined;
    const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
    session.disconnect();
    writeFileSync(path, JSON.stringify(profile));
    return profile;
  }
}

/** One function's share of a profile's samples. */
export interface ProfileEntry {
  name: string;
  /** Share of all samples whose innermost frame is this function (0–1). */
  self: number;
}

/**
 * The functions with the most self time: samples by innermost frame, merged by name
 * and location, highest first (idle and `(program)` included, so shares add up to 1).
 */
export function topSelfTime(profile: CpuProfile, count = 15): ProfileEntry[] {
  const byNode = new Map<number, number>();
  for (const id of profile.samples ?? []) byNode.set(id, (byNode.get(id) ?? 0) + 1);
  const total = profile.samples?.length ?? 0;
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = byNode.get(node.id) ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "");
    const name = `${functionName || "(anonymous)"}${file ? ` ${file}:${lineNumber + 1}` : ""}`;
    byName.set(name, (byName.get(name) ?? 0) + hits);
  }
  return [...byName.entries()]
    .map(([name, hits]) => ({ name, self: total === 0 ? 0 : hits / total }))
    .sort((a, b) => b.self - a.self)
    .slice(0, count);
}

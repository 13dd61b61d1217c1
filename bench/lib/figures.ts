import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One benchmark figure, in the format of DESIGN.md §8. */
export interface Figure {
  figure: string;
  unit: string;
  value: number;
  /** The same quantity for the baseline, measured in the same run. */
  baseline: number;
  /** value / baseline. */
  ratio: number;
  better: "lower" | "higher";
  /** The ratio the issue asks for (an upper bound when lower is better, a lower bound otherwise). */
  target: number | null;
}

/** Builds a figure, computing the ratio. */
export function figure(
  name: string,
  unit: string,
  value: number,
  baseline: number,
  better: Figure["better"],
  target: number | null,
): Figure {
  const ratio = baseline === 0 ? Number.POSITIVE_INFINITY : value / baseline;
  return { figure: name, unit, value: round(value), baseline: round(baseline), ratio: round(ratio), better, target };
}

/** Whether a figure meets its target. */
export function meetsTarget(f: Figure): boolean {
  if (f.target === null) return true;
  return f.better === "lower" ? f.ratio <= f.target : f.ratio >= f.target;
}

/** Writes `bench/results/<name>.json`. */
export function writeResults(name: string, figures: Figure[], dir = join(__dirname, "..", "results")): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(figures, null, 2)}\n`);
  return path;
}

/** Three decimals; below 1, three significant digits (a small ratio does not round to 0). */
function round(n: number): number {
  if (!Number.isFinite(n)) return n;
  if (n !== 0 && Math.abs(n) < 1) return Number(n.toPrecision(3));
  return Math.round(n * 1000) / 1000;
}

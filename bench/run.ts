/**
 * `npm run bench [-- <name> …]`: runs every `bench/<name>.bench.ts` (or the named
 * ones) and writes `bench/results/<name>.json`. A benchmark module exports
 * `run(): Promise<Figure[]>`, and `includedIn` when another benchmark's run reports
 * its figures too (a run of all then runs it only there).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type Figure, meetsTarget, writeResults } from "./lib/figures";

interface BenchModule {
  run(): Promise<Figure[]>;
  /** The benchmark whose run includes this one's figures: a run of all skips this one. */
  includedIn?: string;
}

async function main(): Promise<number> {
  const available = readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => f.replace(/\.bench\.ts$/, ""))
    .sort();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length > 0) {
    process.stderr.write(
      `error: no benchmark named ${unknown.join(", ")}; available: ${available.join(", ") || "(none)"}\n`,
    );
    return 2;
  }
  const names = wanted.length > 0 ? wanted : available;
  if (names.length === 0) process.stdout.write("no benchmarks yet\n");
  for (const name of names) {
    const mod = (await import(join(__dirname, `${name}.bench.ts`))) as BenchModule;
    if (wanted.length === 0 && mod.includedIn && names.includes(mod.includedIn)) {
      process.stdout.write(`bench ${name}: part of ${mod.includedIn}\n`);
      continue;
    }
    process.stdout.write(`bench ${name}: running…\n`);
    const figures = await mod.run();
    const path = writeResults(name, figures);
    for (const f of figures) {
      const verdict = f.target === null ? "" : meetsTarget(f) ? " (meets target)" : " (MISSES target)";
      process.stdout.write(
        `  ${f.figure}: ${f.value} ${f.unit} vs baseline ${f.baseline} → ratio ${f.ratio} (target ${f.target ?? "none"}, ${f.better} is better)${verdict}\n`,
      );
    }
    process.stdout.write(`  wrote ${path}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);

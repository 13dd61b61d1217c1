/**
 * `npm run bench -- synth`: time and peak memory of synthesizing every stack of the dev
 * environment, beside the synth of a one-resource stack (one S3 bucket) measured in the
 * same run. Each synth runs in a fresh Node process (`node --import tsx`, one process, no
 * tsx wrapper), so module loading counts and memory does not carry over; the child
 * reports its own peak RSS (process.resourceUsage().maxRSS) and in-process synth time.
 *
 * Targets (issue 6): all stacks ≤ 4x the one-resource synth's time; peak memory < 1.5 GiB.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Figure, figure } from "./lib/figures";

const ROOT = resolve(__dirname, "..");
/** Runs per variant; the median is reported (the machine is shared). */
const RUNS = 5;
/** The memory budget of the issue: 1.5 GiB in MiB. */
const MEMORY_BUDGET_MIB = 1536;

type Variant = "one-resource" | "all-stacks";

interface ChildReport {
  synthMs: number;
  maxRssMiB: number;
  stacks: number;
}

interface Measurement extends ChildReport {
  wallMs: number;
}

/** In the child: synthesize the variant into `outdir` and print a ChildReport. */
async function child(variant: Variant, outdir: string): Promise<void> {
  process.env.CHECKPOINT_DISABLE = "1";
  const started = performance.now();
  let stacks: number;
  if (variant === "one-resource") {
    const { App, TerraformStack } = await import("../stacks/cdktf");
    const { AwsProvider } = await import("@cdktf/provider-aws/lib/provider");
    const { S3Bucket } = await import("@cdktf/provider-aws/lib/s3-bucket");
    const app = new App({ outdir, stackTraces: false });
    const stack = new TerraformStack(app, "one");
    new AwsProvider(stack, "aws", { region: "eu-central-1" });
    new S3Bucket(stack, "bucket", { bucket: "one" });
    app.synth();
    stacks = 1;
  } else {
    const { synthesize } = await import("../stacks/synthesize");
    const { synthOptionsForTests } = await import("../tests/policy/synth-options");
    stacks = synthesize({ ...synthOptionsForTests(), env: "dev", outdir }).stacks.length;
  }
  const report: ChildReport = {
    synthMs: performance.now() - started,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    stacks,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function measure(variant: Variant): Measurement {
  const outdir = mkdtempSync(join(tmpdir(), `vettid-bench-synth-${variant}-`));
  try {
    const started = performance.now();
    const result = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", variant, outdir], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    const wallMs = performance.now() - started;
    if (result.status !== 0) throw new Error(`${variant} synth failed: ${result.stderr}`);
    const line = result.stdout.trim().split("\n").pop() ?? "";
    return { ...(JSON.parse(line) as ChildReport), wallMs };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Interleaves the two variants so machine load affects both alike. */
export async function run(): Promise<Figure[]> {
  const one: Measurement[] = [];
  const all: Measurement[] = [];
  for (let i = 0; i < RUNS; i++) {
    one.push(measure("one-resource"));
    all.push(measure("all-stacks"));
  }
  const stacks = all[0]?.stacks ?? 0;
  const pick = (ms: Measurement[], k: keyof Measurement) => median(ms.map((m) => m[k]));
  return [
    figure(
      `synth ${stacks} stacks, process wall time (vs one-resource stack)`,
      "ms",
      pick(all, "wallMs"),
      pick(one, "wallMs"),
      "lower",
      4,
    ),
    figure(
      `synth ${stacks} stacks, in-process synth time (vs one-resource stack)`,
      "ms",
      pick(all, "synthMs"),
      pick(one, "synthMs"),
      "lower",
      null,
    ),
    figure(
      `synth ${stacks} stacks, peak RSS (vs one-resource stack)`,
      "MiB",
      pick(all, "maxRssMiB"),
      pick(one, "maxRssMiB"),
      "lower",
      null,
    ),
    figure(
      `synth ${stacks} stacks, peak RSS (vs the 1.5 GiB budget)`,
      "MiB",
      Math.max(...all.map((m) => m.maxRssMiB)),
      MEMORY_BUDGET_MIB,
      "lower",
      1,
    ),
  ];
}

if (require.main === module && process.argv[2] === "--child") {
  child(process.argv[3] as Variant, process.argv[4] as string).catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}

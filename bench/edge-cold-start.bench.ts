/**
 * `npm run bench -- edge-cold-start`: each REST edge bundle's size and its cold
 * init time — a fresh `node` process that requires the bundle until `handler` is
 * exported, measured from spawn to the child's "ready" line (median of N runs) —
 * beside a bare handler bundled the same way (DESIGN.md §8).
 * Targets: every bundle under 300 KiB; cold init ≤ 2× the bare handler's.
 * For reference it also reports a bare handler that loads the AWS SDK v3 DynamoDB
 * document client, which the edge no longer loads (docs/decisions/0047).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildFunctions, bundle, MAX_BUNDLE_BYTES } from "../functions/build";
import { type Figure, figure } from "./lib/figures";

/** Runs per bundle; the median damps scheduler noise on a shared machine. */
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** Cold init may take at most twice the bare handler's. */
const INIT_TARGET = 2;

const CHILD = `
const start = Number(process.argv[2]);
const m = require(process.argv[1]);
if (typeof m.handler !== "function") { process.exit(3); }
process.stdout.write(String(Date.now() - start) + " " + (performance.now()).toFixed(3) + "\\n");
`;

/** ms from spawn to the handler being exported, and the child's own uptime at that point. */
function coldInit(bundlePath: string): { wallMs: number; uptimeMs: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, ["-e", CHILD, bundlePath, String(Date.now())], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, NODE_OPTIONS: "" },
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${bundlePath} did not load: ${result.stderr}`);
  const [, uptime] = result.stdout.trim().split(" ");
  return { wallMs, uptimeMs: Number(uptime) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function run(): Promise<Figure[]> {
  const root = resolve(__dirname, "..");
  const functions = await buildFunctions(root);
  // inside the repository, so that the reference entry resolves its node_modules
  mkdirSync(join(root, "dist"), { recursive: true });
  const scratch = mkdtempSync(join(root, "dist", "bench-entries-"));
  try {
    const bareEntry = join(scratch, "bare.ts");
    writeFileSync(bareEntry, 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n');
    const bareDir = join(root, "dist", "functions-bench", "bare");
    mkdirSync(bareDir, { recursive: true });
    const bareSize = await bundle(bareEntry, bareDir);
    const barePath = join(bareDir, "index.js");
    /**
     * Interleaves the measured bundle with the baselines run by run, so that load from
     * other processes on a shared machine hits both alike.
     */
    const measure = (paths: string[]) => {
      const runs = paths.map(() => [] as { wallMs: number; uptimeMs: number }[]);
      for (let i = 0; i < RUNS; i += 1) {
        paths.forEach((p, j) => {
          runs[j]?.push(coldInit(p));
        });
      }
      return runs.map((r) => ({ wall: median(r.map((x) => x.wallMs)), uptime: median(r.map((x) => x.uptimeMs)) }));
    };
    // reference: what loading the AWS SDK's DynamoDB document client alone costs
    const sdkEntry = join(scratch, "bare-sdk.ts");
    writeFileSync(
      sdkEntry,
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nimport { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";\n' +
        "export const handler = async () => ({ statusCode: 200, body: String(typeof DynamoDBClient) + typeof DynamoDBDocumentClient });\n",
    );
    const sdkDir = join(root, "dist", "functions-bench", "bare-sdk");
    mkdirSync(sdkDir, { recursive: true });
    await bundle(sdkEntry, sdkDir, { allowAwsSdkClients: true });
    const bareSdkPath = join(sdkDir, "index.js");
    const figures: Figure[] = [];
    const [sdkCold, sdkBare] = measure([bareSdkPath, barePath]) as [
      { wall: number; uptime: number },
      { wall: number; uptime: number },
    ];
    figures.push(
      figure(
        "reference: bare handler + AWS SDK DynamoDB document client, cold init",
        "ms",
        sdkCold.wall,
        sdkBare.wall,
        "lower",
        null,
      ),
    );
    for (const fn of functions) {
      const path = join(root, fn.bundle, "index.js");
      const size = statSync(path).size;
      figures.push(figure(`${fn.name} bundle size`, "bytes", size, bareSize, "lower", MAX_BUNDLE_BYTES / bareSize));
      const [cold, bare] = measure([path, barePath]) as [
        { wall: number; uptime: number },
        { wall: number; uptime: number },
      ];
      figures.push(
        figure(`${fn.name} cold init (spawn → handler exported)`, "ms", cold.wall, bare.wall, "lower", INIT_TARGET),
      );
      figures.push(
        figure(`${fn.name} process uptime at handler exported`, "ms", cold.uptime, bare.uptime, "lower", null),
      );
    }
    return figures;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(join(root, "dist", "functions-bench"), { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- edge-cold-start`: each REST edge bundle's size and its cold
 * init time — a fresh `node` process that requires the bundle until `handler` is
 * exported, measured from spawn to the child's "ready" line (median of N runs) —
 * beside a bare handler bundled the same way (DESIGN.md §8). Each round runs every
 * bundle and the bare handler once, so that load from other processes on a shared
 * machine spreads over all of them alike; the child's CPU time at that point is
 * reported too (less sensitive to such load than wall time). For health-get it also
 * reports the first request served (spawn → first response), since the handlers
 * build their Middy stack and read their configuration on the first invocation.
 * Targets: every bundle under 300 KiB; cold init ≤ 2× the bare handler's.
 * For reference it also reports a bare handler that loads the AWS SDK v3 DynamoDB
 * document client, which the edge no longer loads (docs/decisions/0047).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildFunctions, bundle, MAX_BUNDLE_BYTES } from "../functions/build";
import { toApiGatewayEventV2 } from "../local/rest";
import { type Figure, figure } from "./lib/figures";

/** Rounds; the median damps scheduler noise on a shared machine. */
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
/** Cold init may take at most twice the bare handler's. */
const INIT_TARGET = 2;

const CHILD = `
const start = Number(process.argv[2]);
const m = require(process.argv[1]);
if (typeof m.handler !== "function") { process.exit(3); }
const report = () => {
  const cpu = process.cpuUsage();
  process.stdout.write(String(Date.now() - start) + " " + (performance.now()).toFixed(3) + " " + ((cpu.user + cpu.system) / 1000).toFixed(3) + "\\n");
};
if (process.argv[3] === undefined) report();
else {
  const context = { awsRequestId: "bench", functionName: "bench", getRemainingTimeInMillis: () => 30000 };
  Promise.resolve(m.handler(JSON.parse(process.argv[3]), context)).then((r) => { if (r.statusCode !== 200) process.exit(4); report(); });
}
`;

interface Sample {
  wallMs: number;
  uptimeMs: number;
  cpuMs: number;
}

/**
 * ms from spawn to the handler being exported (or, given an event, to its first
 * response), and the child's own uptime and CPU time at that point.
 */
function coldInit(bundlePath: string, event?: string): Sample {
  const started = performance.now();
  const args = ["-e", CHILD, bundlePath, String(Date.now()), ...(event === undefined ? [] : [event])];
  const result = spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: { PATH: process.env.PATH, NODE_OPTIONS: "", VETTID_ENV: "dev", POWERTOOLS_LOG_LEVEL: "SILENT" },
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${bundlePath} did not load: ${result.stderr}`);
  const [, uptime, cpu] = result.stdout.trim().split(" ");
  return { wallMs, uptimeMs: Number(uptime), cpuMs: Number(cpu) };
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

    const paths = [barePath, bareSdkPath, ...functions.map((fn) => join(root, fn.bundle, "index.js"))];
    const healthPath = join(root, functions.find((fn) => fn.name === "health-get")?.bundle ?? "", "index.js");
    const healthEvent = JSON.stringify(
      toApiGatewayEventV2(
        { method: "GET", url: "/v1/health", headers: {}, body: Buffer.alloc(0), sourceIp: "192.0.2.1" },
        "GET /v1/health",
        undefined,
      ),
    );
    const samples = paths.map(() => [] as Sample[]);
    const firstResponses = { bare: [] as Sample[], health: [] as Sample[] };
    for (let round = 0; round < RUNS; round += 1) {
      process.stderr.write(`  round ${round + 1}/${RUNS}\r`);
      paths.forEach((path, i) => {
        samples[i]?.push(coldInit(path));
      });
      firstResponses.bare.push(coldInit(barePath, healthEvent));
      firstResponses.health.push(coldInit(healthPath, healthEvent));
    }
    process.stderr.write("\n");
    const medians = samples.map((runs) => ({
      wall: median(runs.map((r) => r.wallMs)),
      uptime: median(runs.map((r) => r.uptimeMs)),
      cpu: median(runs.map((r) => r.cpuMs)),
    }));
    const [bare, sdk] = medians as [(typeof medians)[number], (typeof medians)[number]];

    const figures: Figure[] = [
      figure(
        "reference: bare handler + AWS SDK DynamoDB document client, cold init",
        "ms",
        sdk.wall,
        bare.wall,
        "lower",
        null,
      ),
    ];
    functions.forEach((fn, i) => {
      const cold = medians[i + 2] as (typeof medians)[number];
      const size = statSync(paths[i + 2] as string).size;
      figures.push(figure(`${fn.name} bundle size`, "bytes", size, bareSize, "lower", MAX_BUNDLE_BYTES / bareSize));
      figures.push(
        figure(`${fn.name} cold init (spawn → handler exported)`, "ms", cold.wall, bare.wall, "lower", INIT_TARGET),
      );
      figures.push(
        figure(`${fn.name} CPU time at handler exported (all threads)`, "ms", cold.cpu, bare.cpu, "lower", null),
      );
      figures.push(
        figure(`${fn.name} process uptime at handler exported`, "ms", cold.uptime, bare.uptime, "lower", null),
      );
    });
    figures.push(
      figure(
        "health-get first request served (spawn → first response)",
        "ms",
        median(firstResponses.health.map((r) => r.wallMs)),
        median(firstResponses.bare.map((r) => r.wallMs)),
        "lower",
        null,
      ),
    );
    return figures;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(join(root, "dist", "functions-bench"), { recursive: true, force: true });
  }
}

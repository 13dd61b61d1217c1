/**
 * `npm run bench -- edge-cold-start`: each REST edge bundle's size and its cold
 * init — a fresh `node` process that requires the bundle until `handler` is
 * exported, measured from spawn to the child's "ready" line (median of N runs) —
 * beside two bare handlers bundled the same way (DESIGN.md §8):
 *
 * - one that builds, at init, the same AWS SDK clients as the route (none,
 *   DynamoDB, or DynamoDB + Secrets Manager, read from the bundle's own inputs)
 *   with the edge's own factory (`functions/shared/aws-clients.ts`), traced by the
 *   same X-Ray tracer when the route is (`functions/shared/tracing.ts`): target ≤ 1.3×;
 * - one with no SDK at all: reported, no target.
 *
 * What the tracer itself costs (the same clients traced and untraced) is reported
 * beside them.
 *
 * Every child gets the environment Lambda would give the function: the stacks'
 * variables (`handlerEnvironment`, so the production `NODE_OPTIONS` if any), the
 * region and execution-role credentials. The handlers therefore load their
 * configuration and build their context and SDK clients at init, as in Lambda.
 *
 * Each round runs every bundle and the baselines once, in a new random order, so that
 * load from other processes on a shared machine spreads over all of them alike; the
 * child's CPU time at that point is reported too (less sensitive to such load than
 * wall time). For
 * reference it also reports what `NODE_OPTIONS=--enable-source-maps` costs the
 * largest bundle, and health-get's first request served (spawn → first response).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type BundleReport, buildFunctions, bundle } from "../functions/build";
import { toApiGatewayEventV2 } from "../local/rest";
import { BASE_HANDLER_ENVIRONMENT, type EdgeResources, handlerEnvironment } from "../stacks/edge-environment";
import { type Figure, figure } from "./lib/figures";

/** Rounds; the median damps scheduler noise on a shared machine. */
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
/** Cold init may take at most 1.3 times that of a bare handler with the same AWS SDK clients. */
const INIT_TARGET = 1.3;

/** What the stacks would point a production function at (values only; nothing is reached at init). */
const RESOURCES: EdgeResources = {
  environment: "prod",
  tableName: "vettid-prod",
  tableArn: "arn:aws:dynamodb:eu-central-1:123456789012:table/vettid-prod",
  tableStreamArn: "arn:aws:dynamodb:eu-central-1:123456789012:table/vettid-prod/stream/2026-01-01T00:00:00.000",
  natsUrls: ["tls://nats.vettid.example:4222"],
  natsDeviceSigningSecretArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:vettid/nats-device-signing",
  natsOperatorSecretArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:vettid/nats-operator",
  manifestUrl: "https://cdn.vettid.example/.well-known/vettid/pcr-manifest.json",
  jwtTtlSeconds: 14_400,
};

/** What Lambda itself sets in every function's environment (the execution role's credentials are dummies here). */
const LAMBDA_RUNTIME = {
  AWS_REGION: "eu-central-1",
  AWS_ACCESS_KEY_ID: "ASIABENCHBENCHBENCH0",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_SESSION_TOKEN: "bench",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  // active tracing: the tracer is on, the X-Ray SDK in its Lambda mode (nothing is sent at init)
  AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
  AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
  LAMBDA_TASK_ROOT: "/var/task",
  AWS_XRAY_DAEMON_ADDRESS: "127.0.0.1:2000",
};

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
  cpuMs: number;
}

/** One bundle to start, with the environment it starts in. */
interface Subject {
  path: string;
  env: Record<string, string>;
}

/**
 * ms from spawn to the handler being exported (or, given an event, to its first
 * response), and the child's CPU time at that point.
 */
function coldInit(subject: Subject, event?: string): Sample {
  const started = performance.now();
  const args = ["-e", CHILD, subject.path, String(Date.now()), ...(event === undefined ? [] : [event])];
  const result = spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...subject.env },
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${subject.path} did not load (${result.status}): ${result.stderr}`);
  const [, , cpu] = result.stdout.trim().split(" ");
  return { wallMs, cpuMs: Number(cpu) };
}

/**
 * A new order each round: on a shared machine, a fixed order would give each
 * position its own share of the other processes' load (Fisher–Yates).
 */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The bare handlers: no SDK; the edge's SDK clients built at init with its own factory
 * and traced as the edge traces them (`functions/shared/tracing.ts`, the tracer the
 * routes that call AWS carry: docs/decisions/0065); and, for reference, the same
 * clients untraced.
 */
function baselineEntries(root: string): { name: string; clients: string[]; traced: boolean; source: string }[] {
  const factory = JSON.stringify(join(root, "functions", "shared", "aws-clients"));
  const tracing = JSON.stringify(join(root, "functions", "shared", "tracing"));
  const traced = `import { edgeTracer } from ${tracing};\nconst tracer = edgeTracer("bench");\n`;
  return [
    {
      name: "bare",
      clients: [],
      traced: false,
      source: 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n',
    },
    {
      name: "bare-dynamodb",
      clients: ["@aws-sdk/client-dynamodb"],
      traced: true,
      source:
        `import { dynamoDbDocumentClient } from ${factory};\n${traced}` +
        "const documents = dynamoDbDocumentClient({ tracer });\n" +
        "export const handler = async () => ({ statusCode: 200, body: typeof documents.send });\n",
    },
    {
      name: "bare-dynamodb-secrets",
      clients: ["@aws-sdk/client-dynamodb", "@aws-sdk/client-secrets-manager"],
      traced: true,
      source:
        `import { dynamoDbDocumentClient, secretsManagerClient } from ${factory};\n${traced}` +
        "const documents = dynamoDbDocumentClient({ tracer });\nconst secrets = secretsManagerClient({ tracer });\n" +
        "export const handler = async () => ({ statusCode: 200, body: typeof documents.send + typeof secrets.send });\n",
    },
    {
      name: "bare-dynamodb-secrets-untraced",
      clients: ["@aws-sdk/client-dynamodb", "@aws-sdk/client-secrets-manager"],
      traced: false,
      source:
        `import { dynamoDbDocumentClient, secretsManagerClient } from ${factory};\n` +
        "const documents = dynamoDbDocumentClient();\nconst secrets = secretsManagerClient();\n" +
        "export const handler = async () => ({ statusCode: 200, body: typeof documents.send + typeof secrets.send });\n",
    },
  ];
}

export async function run(): Promise<Figure[]> {
  const root = resolve(__dirname, "..");
  const { manifest: functions, reports } = await buildFunctions(root);
  // inside the repository, so that the baseline entries resolve its node_modules
  mkdirSync(join(root, "dist"), { recursive: true });
  const scratch = mkdtempSync(join(root, "dist", "bench-entries-"));
  const benchDist = join(root, "dist", "functions-bench");
  try {
    const baseEnv: Record<string, string> = { ...BASE_HANDLER_ENVIRONMENT, ...LAMBDA_RUNTIME };
    process.stderr.write(`  NODE_OPTIONS as the stacks set it: ${baseEnv.NODE_OPTIONS ?? "(none)"}\n`);
    const baselines: { name: string; clients: string[]; traced: boolean; report: BundleReport; subject: Subject }[] =
      [];
    for (const { name, clients, traced, source } of baselineEntries(root)) {
      const entry = join(scratch, `${name}.ts`);
      writeFileSync(entry, source);
      const outDir = join(benchDist, name);
      const report = await bundle(entry, outDir);
      if (report.awsSdkClients.join() !== clients.join()) throw new Error(`${name} bundles ${report.awsSdkClients}`);
      baselines.push({ name, clients, traced, report, subject: { path: join(outDir, "index.js"), env: baseEnv } });
    }
    const bare = baselines[0] as (typeof baselines)[number];
    const untraced = baselines.find((b) => b.name === "bare-dynamodb-secrets-untraced") as (typeof baselines)[number];
    const tracedSame = baselines.find((b) => b.name === "bare-dynamodb-secrets") as (typeof baselines)[number];
    const routes = functions.map((fn) => {
      const report = reports[fn.name] as BundleReport;
      // a route that calls AWS carries the tracer (its bundle's share says so): its baseline is traced too
      const traced = report.tracerBytes > 0;
      const same = baselines.find((b) => b.clients.join() === report.awsSdkClients.join() && b.traced === traced);
      if (!same) throw new Error(`${fn.name}: no baseline with ${report.awsSdkClients.join(", ")}`);
      const { variables } = handlerEnvironment(fn.name, fn.env, RESOURCES, "trigger" in fn ? "worker" : "route");
      const subject: Subject = { path: join(root, fn.bundle, "index.js"), env: { ...variables, ...LAMBDA_RUNTIME } };
      return { fn, report, same, subject };
    });
    // what mapped stack traces at run time would cost: the largest bundle with the flag
    const largest = [...routes].sort((a, b) => b.report.bytes - a.report.bytes)[0] as (typeof routes)[number];
    const withMaps: Subject = {
      path: largest.subject.path,
      env: { ...largest.subject.env, NODE_OPTIONS: "--enable-source-maps" },
    };
    const health = routes.find((r) => r.fn.name === "health-get") as (typeof routes)[number];
    const healthEvent = JSON.stringify(
      toApiGatewayEventV2(
        { method: "GET", url: "/v1/health", headers: {}, body: Buffer.alloc(0), sourceIp: "192.0.2.1" },
        "GET /v1/health",
        undefined,
      ),
    );

    const subjects = [...baselines.map((b) => b.subject), ...routes.map((r) => r.subject), withMaps];
    const samples = subjects.map(() => [] as Sample[]);
    const firstResponses = { bare: [] as Sample[], health: [] as Sample[] };
    const tasks: (() => void)[] = [
      ...subjects.map((subject, i) => () => {
        samples[i]?.push(coldInit(subject));
      }),
      () => firstResponses.bare.push(coldInit(bare.subject, healthEvent)),
      () => firstResponses.health.push(coldInit(health.subject, healthEvent)),
    ];
    for (let round = 0; round < RUNS; round += 1) {
      process.stderr.write(`  round ${round + 1}/${RUNS}\r`);
      for (const task of shuffled(tasks)) task();
    }
    process.stderr.write("\n");
    const medianOf = (subject: Subject) => {
      const runs = samples[subjects.indexOf(subject)] ?? [];
      return { wall: median(runs.map((r) => r.wallMs)), cpu: median(runs.map((r) => r.cpuMs)) };
    };

    const bareInit = medianOf(bare.subject);
    const label = (b: (typeof baselines)[number]) =>
      `bare handler + ${b.clients.join(" + ")} (clients built at init${b.traced ? ", traced" : ""})`;
    const figures: Figure[] = baselines
      .slice(1)
      .map((b) =>
        figure(`reference: ${label(b)}, cold init`, "ms", medianOf(b.subject).wall, bareInit.wall, "lower", null),
      );
    // what the X-Ray tracer itself costs at init: the same clients, traced and not
    figures.push(
      figure(
        `reference: the tracer's cost, ${label(tracedSame)} beside untraced, cold init`,
        "ms",
        medianOf(tracedSame.subject).wall,
        medianOf(untraced.subject).wall,
        "lower",
        null,
      ),
      figure(
        `reference: the tracer's cost, ${label(tracedSame)} beside untraced, CPU time at handler exported`,
        "ms",
        medianOf(tracedSame.subject).cpu,
        medianOf(untraced.subject).cpu,
        "lower",
        null,
      ),
    );
    for (const { fn, report, same, subject } of routes) {
      const cold = medianOf(subject);
      const sameInit = medianOf(same.subject);
      const clients =
        same.clients.length > 0
          ? `the same AWS SDK clients (${same.clients.join(", ")}), traced as the edge traces them`
          : "no AWS SDK";
      figures.push(
        figure(
          `${fn.name} bundle size, beside a bare handler with ${clients}`,
          "bytes",
          report.bytes,
          same.report.bytes,
          "lower",
          null,
        ),
        figure(
          `${fn.name} cold init (spawn → handler exported), beside a bare handler with ${clients}`,
          "ms",
          cold.wall,
          sameInit.wall,
          "lower",
          INIT_TARGET,
        ),
        figure(
          `${fn.name} CPU time at handler exported (all threads), beside a bare handler with ${clients}`,
          "ms",
          cold.cpu,
          sameInit.cpu,
          "lower",
          null,
        ),
      );
      if (same !== bare) {
        figures.push(
          figure(
            `${fn.name} cold init (spawn → handler exported), beside a bare handler with no AWS SDK`,
            "ms",
            cold.wall,
            bareInit.wall,
            "lower",
            null,
          ),
        );
      }
    }
    figures.push(
      figure(
        `reference: ${largest.fn.name} cold init with NODE_OPTIONS=--enable-source-maps, beside without`,
        "ms",
        medianOf(withMaps).wall,
        medianOf(largest.subject).wall,
        "lower",
        null,
      ),
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
    rmSync(benchDist, { recursive: true, force: true });
  }
}

/**
 * `npm run build:functions`: one minified, tree-shaken esbuild bundle per route
 * (`dist/functions/<name>/index.js`, target node22, with the AWS SDK clients it uses
 * inside, and its source map `index.js.map` beside it) and
 * `dist/functions/functions.json`, which the stacks read.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { build } from "esbuild";
import { FUNCTIONS, WORKERS } from "./routes";

/**
 * The AWS SDK v3 clients an edge bundle may carry (docs/decisions/0059): DynamoDB
 * (with `@aws-sdk/lib-dynamodb`) and Secrets Manager. A bundle that pulls in any
 * other `@aws-sdk/client-*` package is a build error.
 */
export const AWS_SDK_CLIENTS = ["@aws-sdk/client-dynamodb", "@aws-sdk/client-secrets-manager"] as const;

/** Inputs that belong to the AWS SDK (its clients, core, credential chain and Smithy runtime). */
const AWS_SDK_INPUT = /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//;
/**
 * Inputs that belong to the X-Ray tracer of the functions that call AWS (docs/decisions/0065):
 * the Powertools tracer, the X-Ray SDK and the packages only it depends on.
 */
const TRACER_INPUT =
  /node_modules\/(@aws-lambda-powertools\/tracer|aws-xray-sdk-core|cls-hooked|async-hook-jl|emitter-listener|shimmer|stack-chain|atomic-batcher|semver)\//;
const AWS_SDK_CLIENT_INPUT = /node_modules\/(@aws-sdk\/client-[^/]+)\//;

/**
 * A bundle's own code (everything but the AWS SDK's and the tracer's shares) above
 * this is a build error: cold starts grow with bundle size, and ours is what a route
 * can bloat. The SDK's share is fixed by {@link AWS_SDK_CLIENTS}, the tracer's by the
 * one tracer the functions that call AWS carry; both are measured by
 * `npm run bench -- edge-cold-start` against a bare handler with the same clients.
 */
export const MAX_OWN_BUNDLE_BYTES = 300 * 1024;

/** One line of functions.json (contracts.md B): a route, or a worker that no route reaches (`trigger`). */
export type FunctionManifestEntry =
  | { name: string; method: string; path: string; auth: "iam" | "none"; bundle: string; handler: string; env: string[] }
  | { name: string; trigger: string; bundle: string; handler: string; env: string[] };

/** What {@link bundle} wrote. */
export interface BundleReport {
  /** Size of `index.js`. */
  bytes: number;
  /** The AWS SDK's share of it (inputs under `@aws-sdk/`, `@smithy/`, `@aws-crypto/`). */
  awsSdkBytes: number;
  /** The tracer's share of it (the Powertools tracer and the X-Ray SDK with its own dependencies). */
  tracerBytes: number;
  /** The `@aws-sdk/client-*` packages inside, sorted. */
  awsSdkClients: string[];
  /** What the bundle leaves to `require` at run time (esbuild's external imports), sorted. */
  external: string[];
}

/**
 * Bundles one entry file into `outDir/index.js`, self-contained (nothing external:
 * the AWS SDK is bundled and tree-shaken from our lockfile, not taken from the
 * runtime). The source map is written to `outDir/index.js.map` and linked from the
 * bundle, without the sources' text: Node reads it only when asked
 * (`NODE_OPTIONS=--enable-source-maps`), which the stacks do not set.
 */
export async function bundle(entry: string, outDir: string): Promise<BundleReport> {
  const outfile = join(outDir, "index.js");
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    treeShaking: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    mainFields: ["module", "main"],
    legalComments: "none",
    metafile: true,
    alias: { tweetnacl: resolve(__dirname, "shims", "tweetnacl.ts") },
    logLevel: "warning",
  });
  const clients = new Set<string>();
  let awsSdkBytes = 0;
  let tracerBytes = 0;
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    if (AWS_SDK_INPUT.test(input)) awsSdkBytes += bytesInOutput;
    else if (TRACER_INPUT.test(input)) tracerBytes += bytesInOutput;
    const client = AWS_SDK_CLIENT_INPUT.exec(input)?.[1];
    if (client) clients.add(client);
  }
  const foreign = [...clients].filter((c) => !(AWS_SDK_CLIENTS as readonly string[]).includes(c));
  if (foreign.length > 0) {
    throw new Error(
      `${entry}: bundles ${foreign.join(", ")}; the edge carries only ${AWS_SDK_CLIENTS.join(", ")} (docs/decisions/0059)`,
    );
  }
  const external = [...new Set((output?.imports ?? []).filter((i) => i.external).map((i) => i.path))].sort();
  return { bytes: statSync(outfile).size, awsSdkBytes, tracerBytes, awsSdkClients: [...clients].sort(), external };
}

/** What {@link buildFunctions} wrote: functions.json's entries, and each bundle's report by route name. */
export interface BuiltFunctions {
  manifest: FunctionManifestEntry[];
  reports: Record<string, BundleReport>;
}

export async function buildFunctions(root = resolve(__dirname, "..")): Promise<BuiltFunctions> {
  const dist = join(root, "dist", "functions");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const manifest: FunctionManifestEntry[] = [];
  const reports: Record<string, BundleReport> = {};
  const bundleOne = async (name: string, entry: string) => {
    const outDir = join(dist, name);
    const report = await bundle(join(root, "functions", entry), outDir);
    reports[name] = report;
    const { bytes, awsSdkBytes, tracerBytes } = report;
    const own = bytes - awsSdkBytes - tracerBytes;
    if (own > MAX_OWN_BUNDLE_BYTES) {
      throw new Error(
        `${name}: bundle has ${own} bytes besides the AWS SDK and the tracer, over ${MAX_OWN_BUNDLE_BYTES}`,
      );
    }
    const kib = (n: number) => `${(n / 1024).toFixed(1).padStart(6)} KiB`;
    process.stdout.write(
      `${name.padEnd(28)} ${kib(bytes)} (AWS SDK ${kib(awsSdkBytes)}, tracer ${kib(tracerBytes)})\n`,
    );
    return relative(root, outDir);
  };
  for (const { route, entry } of FUNCTIONS) {
    const bundlePath = await bundleOne(route.name, entry);
    manifest.push({
      name: route.name,
      method: route.method,
      path: route.path,
      auth: route.auth,
      bundle: bundlePath,
      handler: "index.handler",
      env: [...route.env],
    });
  }
  for (const { worker, entry } of WORKERS) {
    const bundlePath = await bundleOne(worker.name, entry);
    manifest.push({
      name: worker.name,
      trigger: worker.trigger,
      bundle: bundlePath,
      handler: "index.handler",
      env: [...worker.env],
    });
  }
  writeFileSync(join(dist, "functions.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, reports };
}

if (require.main === module) {
  buildFunctions().catch((err) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  });
}

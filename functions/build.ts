/**
 * `npm run build:functions`: one minified, tree-shaken esbuild bundle per route
 * (`dist/functions/<name>/index.js` + source map, target node22) and
 * `dist/functions/functions.json`, which the stacks read.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { build } from "esbuild";
import { FUNCTIONS } from "./routes";

/**
 * Packages whose loading dominated cold starts: the edge reaches DynamoDB and
 * Secrets Manager through `lib/aws-json` instead (docs/decisions/0047). A bundle
 * that pulls one of them in is a build error.
 */
export const FORBIDDEN_IN_BUNDLES = [/node_modules\/@aws-sdk\/client-/, /node_modules\/@aws-sdk\/lib-dynamodb\//];

/** Bundles above this are a build error: cold starts grow with bundle size. */
export const MAX_BUNDLE_BYTES = 300 * 1024;

/** One line of functions.json (contracts.md B). */
export interface FunctionManifestEntry {
  name: string;
  method: string;
  path: string;
  auth: "iam" | "none";
  bundle: string;
  handler: string;
  env: string[];
}

/**
 * Bundles one entry file into `outDir/index.js`. `allowAwsSdkClients` is for the
 * cold-start benchmark's reference bundle only.
 */
export async function bundle(
  entry: string,
  outDir: string,
  options: { allowAwsSdkClients?: boolean } = {},
): Promise<number> {
  const outfile = join(outDir, "index.js");
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: true,
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
  const forbidden = Object.keys(result.metafile.inputs).find((input) =>
    FORBIDDEN_IN_BUNDLES.some((p) => p.test(input)),
  );
  if (forbidden && !options.allowAwsSdkClients)
    throw new Error(`${entry}: bundles ${forbidden} (use lib/aws-json, docs/decisions/0047)`);
  return statSync(outfile).size;
}

export async function buildFunctions(root = resolve(__dirname, "..")): Promise<FunctionManifestEntry[]> {
  const dist = join(root, "dist", "functions");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const manifest: FunctionManifestEntry[] = [];
  for (const { route, entry } of FUNCTIONS) {
    const outDir = join(dist, route.name);
    const size = await bundle(join(root, "functions", entry), outDir);
    if (size > MAX_BUNDLE_BYTES) throw new Error(`${route.name}: bundle is ${size} bytes, over ${MAX_BUNDLE_BYTES}`);
    process.stdout.write(`${route.name.padEnd(22)} ${(size / 1024).toFixed(1).padStart(6)} KiB\n`);
    manifest.push({
      name: route.name,
      method: route.method,
      path: route.path,
      auth: route.auth,
      bundle: relative(root, outDir),
      handler: "index.handler",
      env: [...route.env],
    });
  }
  writeFileSync(join(dist, "functions.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (require.main === module) {
  buildFunctions().catch((err) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  });
}

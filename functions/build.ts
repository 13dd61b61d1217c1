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
 * Provided by the Lambda `nodejs22.x` runtime, so not bundled: the DynamoDB client
 * alone bundles to 340 KB minified with this SDK line (docs/decisions/0021).
 */
export const EXTERNAL_PACKAGES = ["@aws-sdk/*", "@smithy/*"];

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

/** Bundles one entry file into `outDir/index.js`. */
export async function bundle(entry: string, outDir: string): Promise<number> {
  const outfile = join(outDir, "index.js");
  await build({
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
    external: EXTERNAL_PACKAGES,
    alias: { tweetnacl: resolve(__dirname, "shims", "tweetnacl.ts") },
    logLevel: "warning",
  });
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

import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildStacks, manifestPaths, type VettidStacks } from "./app";
import { App } from "./cdktf";
import { envConfig } from "./config";
import { FUNCTIONS_FILE, readFunctions } from "./inputs/functions";
import { readManifest } from "./inputs/manifest";

export interface SynthOptions {
  /** dev | staging | prod. */
  env: string;
  /** Repository root; defaults to the parent of stacks/. */
  root?: string;
  /** Output directory (default `<root>/cdktf.out`). */
  outdir?: string;
  /** Overrides the manifest file (and its public key) of the environment's config. */
  manifestFile?: string;
  manifestKeyFile?: string;
  /** functions.json relative to `root` (default dist/functions/functions.json). */
  functionsFile?: string;
}

export interface SynthResult {
  outdir: string;
  /** Names of the synthesized stacks (folders under `<outdir>/stacks`). */
  stacks: string[];
  app: App;
  built: VettidStacks;
}

/** The repository root (this file lives in `<root>/stacks`). */
export const REPO_ROOT = resolve(__dirname, "..");

/**
 * Builds the App of one environment and writes it to `outdir` — offline, no terraform
 * binary and no cloud access: inputs are the environment config, functions.json and the
 * manifest file.
 * @throws Error with a one-line reason on bad configuration or inputs.
 */
export function synthesize(options: SynthOptions): SynthResult {
  process.env.CHECKPOINT_DISABLE = "1";
  const root = options.root ?? REPO_ROOT;
  const config = envConfig(options.env);
  const paths = manifestPaths(root, config);
  const manifestFile = options.manifestFile ? resolve(options.manifestFile) : paths.manifest;
  const keyFile = options.manifestKeyFile ? resolve(options.manifestKeyFile) : paths.key;
  for (const [what, file] of [
    ["manifest", manifestFile],
    ["manifest key", keyFile],
  ] as const) {
    if (!existsSync(file)) {
      throw new Error(`${what} ${file} is missing; pass --manifest F --manifest-key F or place it there`);
    }
  }
  const manifest = readManifest(manifestFile, keyFile);
  const functions = readFunctions(root, options.functionsFile ?? FUNCTIONS_FILE);
  const outdir = options.outdir ?? join(root, "cdktf.out");
  // No stack traces in the output: they hold absolute paths and make synth output machine-specific.
  // (`cdktf synth --hcl` sets SYNTH_HCL_OUTPUT, which App reads, to print HCL instead.)
  const app = new App({ outdir, stackTraces: false });
  const built = buildStacks(app, { config, functions, manifest, root });
  app.synth();
  const stacks = readdirSync(join(outdir, "stacks")).sort();
  return { outdir, stacks, app, built };
}

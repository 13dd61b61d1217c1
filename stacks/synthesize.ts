import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { buildStacks, manifestPaths, type VettidStacks } from "./app";
import { App } from "./cdktf";
import { type EnvConfig, envConfig } from "./config";
import { FUNCTIONS_FILE, readFunctions } from "./inputs/functions";
import { readManifest, type StackManifest } from "./inputs/manifest";
import { type RuntimeNatsKey, readRuntimeNatsKey } from "./inputs/runtime-nats-key";

/**
 * The Terraform dependency lock file (provider version and its published hashes),
 * relative to the repository root; synth copies it into every stack directory, so
 * `terraform init -lockfile=readonly` installs exactly that provider (decision 0060).
 */
export const PROVIDER_LOCK_FILE = "stacks/terraform/.terraform.lock.hcl";

export interface SynthOptions {
  /** dev | staging | prod. */
  env: string;
  /** Repository root; defaults to the parent of stacks/. */
  root?: string;
  /** Output directory (default `<root>/cdktf.out`). */
  outdir?: string;
  /**
   * Overrides the manifest file (and its public key) of the environment's config; `null`
   * synthesizes the environment as before its first release, whatever is committed.
   */
  manifestFile?: string | null;
  /** Overrides the pinned release key set file the manifest log is verified from. */
  manifestKeyFile?: string;
  /** Overrides the runtime's sealed NATS key file of the environment's config (it must exist). */
  runtimeNatsKeyFile?: string;
  /** Synthesis time (default now): an expired manifest is refused. */
  now?: Date;
  /** functions.json relative to `root` (default dist/functions/functions.json). */
  functionsFile?: string;
}

export interface SynthResult {
  outdir: string;
  /** Names of the synthesized stacks (folders under `<outdir>/stacks`). */
  stacks: string[];
  app: App;
  built: VettidStacks;
  /** The verified manifest the stacks were built from; null before the first release. */
  manifest: StackManifest | null;
  /** One-line notices for whoever ran synth (e.g. that no signed manifest is committed). */
  notices: string[];
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
  const { manifest, notices } = releaseManifest(root, config, options);
  const runtimeNatsKey = manifest === null ? null : runtimeNatsKeyInput(root, config, options);
  const functions = readFunctions(root, options.functionsFile ?? FUNCTIONS_FILE);
  const outdir = options.outdir ?? join(root, "cdktf.out");
  // No stack traces in the output: they hold absolute paths and make synth output machine-specific.
  // (`cdktf synth --hcl` sets SYNTH_HCL_OUTPUT, which App reads, to print HCL instead.)
  const app = new App({ outdir, stackTraces: false });
  const built = buildStacks(app, { config, functions, manifest, runtimeNatsKey, root });
  app.synth();
  const stacks = readdirSync(join(outdir, "stacks")).sort();
  for (const stack of stacks)
    copyFileSync(join(root, PROVIDER_LOCK_FILE), join(outdir, "stacks", stack, ".terraform.lock.hcl"));
  return { outdir, stacks, app, built, manifest, notices };
}

/**
 * The runtime's sealed NATS key beside a manifest: `--runtime-nats-key` when given (it
 * must exist), else the committed one, or null when none is committed (refused outside
 * dev by buildStacks).
 */
function runtimeNatsKeyInput(root: string, config: EnvConfig, options: SynthOptions): RuntimeNatsKey | null {
  if (options.runtimeNatsKeyFile !== undefined) {
    const file = resolve(options.runtimeNatsKeyFile);
    const key = readRuntimeNatsKey(file, config.name);
    if (key === undefined) throw new Error(`runtime NATS key ${file} is missing`);
    return key;
  }
  return readRuntimeNatsKey(manifestPaths(root, config).runtimeNatsKey, config.name) ?? null;
}

/**
 * The signed manifest the stacks are built from: `--manifest` when given, else the one
 * committed for the environment. Before an environment's first release no manifest is
 * committed (the release stack creates the signing key that signs the first one), and
 * the stacks are built without one: the sealing key approves no enclave, the release
 * stack publishes nothing and the vault fleet runs no hosts (decision 0060).
 * @throws Error when a given manifest is missing, or a manifest exists without its key.
 */
function releaseManifest(
  root: string,
  config: EnvConfig,
  options: SynthOptions,
): { manifest: StackManifest | null; notices: string[] } {
  const paths = manifestPaths(root, config);
  if (options.manifestFile === null) {
    return {
      manifest: null,
      notices: [`${config.name}: synthesized without a release manifest: the sealing key approves no enclave`],
    };
  }
  const manifestFile = options.manifestFile ? resolve(options.manifestFile) : paths.manifest;
  const keyFile = options.manifestKeyFile ? resolve(options.manifestKeyFile) : paths.key;
  if (!options.manifestFile && !existsSync(manifestFile)) {
    const committed = relative(root, manifestFile);
    return {
      manifest: null,
      notices: [
        `${config.name}: no signed release manifest committed (${committed}): the sealing key approves no enclave`,
      ],
    };
  }
  for (const [what, file] of [
    ["manifest", manifestFile],
    ["manifest key", keyFile],
  ] as const) {
    if (!existsSync(file)) {
      throw new Error(`${what} ${file} is missing; pass --manifest F --manifest-key F (a key set) or place it there`);
    }
  }
  return { manifest: readManifest(manifestFile, keyFile, options.now ? { now: options.now } : {}), notices: [] };
}

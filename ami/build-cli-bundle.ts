/**
 * `npm run build:cli`: bundles the command line (client/cli/run.ts) with its npm
 * dependencies into one file, deterministically (ami/deterministic-bundle.ts), so a
 * security reviewer or an operator runs `bin/vettid` with plain Node 22 and no
 * `node_modules` at all: bin/vettid runs `dist/cli/vettid.js` when `tsx` (a dev
 * dependency) is not installed. Writes `dist/cli/vettid.js` and its SHA-384 (hex) to
 * `dist/cli/vettid.sha384`; the same commit gives the same bytes on any machine.
 */
import { join } from "node:path";
import {
  type Bundle,
  type BundleSpec,
  deterministicBundle,
  REPO_ROOT,
  runBundleCommand,
  writeBundle,
} from "./deterministic-bundle";

export { REPO_ROOT };

/** What the CLI bundle is built from; Node 22 is the project's line (docs/decisions/0056). */
export const CLI_BUNDLE: BundleSpec = {
  entryPoint: "client/cli/run.ts",
  outfile: "dist/cli/vettid.js",
  target: "node22",
};

/** Bundles the CLI in memory. @throws Error when esbuild fails or the output holds an absolute path. */
export function bundleCli(root: string = REPO_ROOT): Promise<Bundle> {
  return deterministicBundle(CLI_BUNDLE, root);
}

/** Writes the bundle and its digest under `<outdir>` (default `<root>/dist/cli`). */
export async function buildCliBundle(
  root: string = REPO_ROOT,
  outdir: string = join(root, "dist", "cli"),
): Promise<Bundle & { path: string }> {
  const bundle = await bundleCli(root);
  return { ...bundle, path: writeBundle(bundle, outdir, "vettid.js") };
}

if (require.main === module) {
  runBundleCommand(CLI_BUNDLE.outfile, () => buildCliBundle());
}

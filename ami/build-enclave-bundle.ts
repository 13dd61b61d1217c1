/**
 * `npm run build:enclave`: bundles the vault runtime (vault-enclave/main.ts) into one
 * file, deterministically (ami/deterministic-bundle.ts) — the same commit gives the same
 * bytes on any machine, so the bundle digest (and, through the enclave image, PCR2 and
 * PCR0) can be reproduced by a reviewer. Writes `dist/enclave/vault-runtime.js` and its
 * SHA-384 (hex) to `dist/enclave/vault-runtime.sha384`.
 */
import { join } from "node:path";
import type { BuildOptions } from "esbuild";
import {
  type Bundle,
  type BundleSpec,
  deterministicBundle,
  deterministicOptions,
  REPO_ROOT,
  runBundleCommand,
  writeBundle,
} from "./deterministic-bundle";

export { REPO_ROOT };

/** The runtime entry point, relative to the root. */
export const ENTRY_POINT = "vault-enclave/main.ts";

/** Node.js line of the enclave image (ami/enclave/Dockerfile). */
export const ENCLAVE_NODE_TARGET = "node22";

/** What the enclave bundle is built from. */
export const ENCLAVE_BUNDLE: BundleSpec = {
  entryPoint: ENTRY_POINT,
  outfile: "dist/enclave/vault-runtime.js",
  target: ENCLAVE_NODE_TARGET,
};

/** The fixed esbuild options of the enclave bundle. */
export function bundleOptions(root: string): BuildOptions & { write: false } {
  return deterministicOptions(root, ENCLAVE_BUNDLE);
}

export type EnclaveBundle = Bundle;

/**
 * Bundles the runtime in memory.
 * @throws Error when esbuild fails or an absolute path of this machine is in the output.
 */
export function bundleEnclave(root: string = REPO_ROOT): Promise<EnclaveBundle> {
  return deterministicBundle(ENCLAVE_BUNDLE, root);
}

/** Writes the bundle and its digest under `<outdir>` (default `<root>/dist/enclave`). */
export async function buildEnclaveBundle(
  root: string = REPO_ROOT,
  outdir: string = join(root, "dist", "enclave"),
): Promise<EnclaveBundle & { path: string }> {
  const bundle = await bundleEnclave(root);
  return { ...bundle, path: writeBundle(bundle, outdir, "vault-runtime.js") };
}

if (require.main === module) {
  runBundleCommand(ENCLAVE_BUNDLE.outfile, () => buildEnclaveBundle());
}

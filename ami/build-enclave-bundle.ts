/**
 * `npm run build:enclave`: bundles the vault runtime (vault-enclave/main.ts) into one
 * file, deterministically (ami/deterministic-bundle.ts) — the same commit gives the same
 * bytes on any machine, so the bundle digest (and, through the enclave image, PCR2 and
 * PCR0) can be reproduced by a reviewer. Writes the runtime's part of the enclave image
 * context under `dist/enclave/`:
 *
 * | file | in the image as | what |
 * | --- | --- | --- |
 * | `vault-runtime.js` | `/app/vault-runtime.js` | the bundle |
 * | `native/koffi-linux-x64.node` | `/app/native/koffi-linux-x64.node` | koffi's prebuilt addon (the NSM binding's FFI) |
 * | `vault-runtime.sha384` | — | SHA-384 (hex) of the bundle, for the release record |
 * | `image-files.sha256` | — | `sha256sum` list of the two files above |
 *
 * ami/enclave/build-eif.sh adds `vsock-bridge/` (socat from Debian, checked against
 * ami/enclave/vsock-bridge.sha256); ami/enclave/Dockerfile copies exactly these.
 */
import { join } from "node:path";
import type { BuildOptions } from "esbuild";
import {
  type Bundle,
  type BundleSpec,
  deterministicBundle,
  deterministicOptions,
  FILE_LIST,
  type NativeAddon,
  REPO_ROOT,
  runBundleCommand,
  writeBundle,
} from "./deterministic-bundle";

export { FILE_LIST, REPO_ROOT };

/** The runtime entry point, relative to the root. */
export const ENTRY_POINT = "vault-enclave/main.ts";

/** Node.js line of the enclave image (ami/enclave/Dockerfile). */
export const ENCLAVE_NODE_TARGET = "node22";

/**
 * koffi's addon for the image's platform: linux x64 with glibc (the distroless base is
 * Debian 12; the addon needs glibc ≥ 2.25, libstdc++ and libgcc_s, which the base has).
 * koffi's own loader would pick it at run time from `node_modules`; the image has none.
 */
export const KOFFI_ADDON: NativeAddon = {
  package: "koffi",
  loader: "@koromix/koffi-linux-x64",
  source: "node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node",
  target: "native/koffi-linux-x64.node",
};

/** What the enclave bundle is built from. */
export const ENCLAVE_BUNDLE: BundleSpec = {
  entryPoint: ENTRY_POINT,
  outfile: "dist/enclave/vault-runtime.js",
  target: ENCLAVE_NODE_TARGET,
  nativeAddons: [KOFFI_ADDON],
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

/**
 * Writes the bundle, its digest, its native addons and their file list under
 * `<outdir>` (default `<root>/dist/enclave`): the runtime's part of the image context.
 */
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

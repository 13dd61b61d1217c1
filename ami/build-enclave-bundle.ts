/**
 * `npm run build:enclave`: bundles the vault runtime (vault-enclave/main.ts) into one
 * file, deterministically — the same commit gives the same bytes on any machine, so the
 * bundle digest (and, through the enclave image, PCR2 and PCR0) can be reproduced by a
 * reviewer. Writes `dist/enclave/vault-runtime.js` and its SHA-384 (hex) to
 * `dist/enclave/vault-runtime.sha384`.
 *
 * What makes it deterministic: fixed esbuild options (no minify-dependent names from the
 * environment, no source maps, no legal comments, no banner with a date), the working
 * directory pinned to the repository root so the path comments are relative, output held
 * in memory and written once, and a check that no absolute path of this machine leaked
 * into the output. esbuild itself is pinned by package-lock.json.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type BuildOptions, build } from "esbuild";

/** Repository root (this file lives in `<root>/ami`). */
export const REPO_ROOT = resolve(__dirname, "..");

/** The runtime entry point, relative to the root. */
export const ENTRY_POINT = "vault-enclave/main.ts";

/** Node.js line of the enclave image (ami/enclave/Dockerfile). */
export const ENCLAVE_NODE_TARGET = "node22";

/** The fixed esbuild options; anything environment-dependent is left out on purpose. */
export function bundleOptions(root: string): BuildOptions & { write: false } {
  return {
    absWorkingDir: root,
    entryPoints: [ENTRY_POINT],
    bundle: true,
    platform: "node",
    target: ENCLAVE_NODE_TARGET,
    format: "cjs",
    write: false,
    outfile: "dist/enclave/vault-runtime.js",
    sourcemap: false,
    legalComments: "none",
    charset: "utf8",
    minify: false,
    treeShaking: true,
    metafile: false,
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  };
}

export interface EnclaveBundle {
  bytes: Uint8Array;
  /** SHA-384 of `bytes`, lowercase hex (96 characters). */
  sha384: string;
}

/**
 * Bundles the runtime in memory.
 * @throws Error when esbuild fails or an absolute path of this machine is in the output.
 */
export async function bundleEnclave(root: string = REPO_ROOT): Promise<EnclaveBundle> {
  const result = await build(bundleOptions(root));
  const file = result.outputFiles[0];
  if (file === undefined || result.outputFiles.length !== 1) throw new Error("esbuild produced no single output file");
  const text = Buffer.from(file.contents).toString("utf8");
  if (text.includes(root)) throw new Error(`the bundle contains the absolute path ${root}; it would not reproduce`);
  return { bytes: file.contents, sha384: createHash("sha384").update(file.contents).digest("hex") };
}

/** Writes the bundle and its digest under `<outdir>` (default `<root>/dist/enclave`). */
export async function buildEnclaveBundle(
  root: string = REPO_ROOT,
  outdir: string = join(root, "dist", "enclave"),
): Promise<EnclaveBundle & { path: string }> {
  const bundle = await bundleEnclave(root);
  mkdirSync(outdir, { recursive: true });
  const path = join(outdir, "vault-runtime.js");
  writeFileSync(path, bundle.bytes);
  writeFileSync(join(outdir, "vault-runtime.sha384"), `${bundle.sha384}\n`);
  return { ...bundle, path };
}

if (require.main === module) {
  buildEnclaveBundle().then(
    (b) => process.stdout.write(`dist/enclave/vault-runtime.js ${b.bytes.length} bytes sha384 ${b.sha384}\n`),
    (err: Error) => {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(1);
    },
  );
}

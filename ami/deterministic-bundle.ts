/**
 * The deterministic esbuild step shared by the release bundles (the enclave's vault
 * runtime, the host's vsock proxy): the same commit gives the same bytes on any machine,
 * so a bundle digest can be reproduced by a reviewer.
 *
 * What makes it deterministic: fixed esbuild options (no minify-dependent names from the
 * environment, no source maps, no legal comments, no banner with a date), the working
 * directory pinned to the repository root so the path comments are relative, output held
 * in memory and written once, and a check that no absolute path of this machine leaked
 * into the output. esbuild itself is pinned by package-lock.json.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type BuildOptions, build } from "esbuild";

/** Repository root (this file lives in `<root>/ami`). */
export const REPO_ROOT = resolve(__dirname, "..");

/** What one bundle is built from. */
export interface BundleSpec {
  /** Entry point, relative to the repository root. */
  entryPoint: string;
  /** Output file, relative to the root (names the bundle; the bytes are held in memory). */
  outfile: string;
  /** esbuild target, the Node.js line that runs the bundle (e.g. `node22`). */
  target: string;
}

/** The fixed esbuild options for `spec`; anything environment-dependent is left out on purpose. */
export function deterministicOptions(root: string, spec: BundleSpec): BuildOptions & { write: false; metafile: true } {
  return {
    absWorkingDir: root,
    entryPoints: [spec.entryPoint],
    bundle: true,
    platform: "node",
    target: spec.target,
    format: "cjs",
    write: false,
    outfile: spec.outfile,
    sourcemap: false,
    legalComments: "none",
    charset: "utf8",
    minify: false,
    treeShaking: true,
    // The metafile is returned beside the output; it does not change the bundle's bytes.
    metafile: true,
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  };
}

export interface Bundle {
  bytes: Uint8Array;
  /** SHA-384 of `bytes`, lowercase hex (96 characters). */
  sha384: string;
  /** Source files in the bundle, relative to the root (from the esbuild metafile), sorted. */
  inputs: string[];
}

/**
 * Bundles `spec` in memory.
 * @throws Error when esbuild fails or an absolute path of this machine is in the output.
 */
export async function deterministicBundle(spec: BundleSpec, root: string = REPO_ROOT): Promise<Bundle> {
  const result = await build(deterministicOptions(root, spec));
  const file = result.outputFiles[0];
  if (file === undefined || result.outputFiles.length !== 1) throw new Error("esbuild produced no single output file");
  const text = Buffer.from(file.contents).toString("utf8");
  if (text.includes(root)) throw new Error(`the bundle contains the absolute path ${root}; it would not reproduce`);
  return {
    bytes: file.contents,
    sha384: createHash("sha384").update(file.contents).digest("hex"),
    inputs: Object.keys(result.metafile.inputs).sort(),
  };
}

/** Writes `bundle` as `<outdir>/<name>` and its digest (hex + newline) as `<outdir>/<stem>.sha384`. */
export function writeBundle(bundle: Bundle, outdir: string, name: string): string {
  mkdirSync(outdir, { recursive: true });
  const path = join(outdir, name);
  writeFileSync(path, bundle.bytes);
  writeFileSync(join(outdir, `${basename(name, ".js")}.sha384`), `${bundle.sha384}\n`);
  return path;
}

/** Runs `build` as a command: prints `<label> <bytes> bytes sha384 <hex>`, or one error line and exit 1. */
export function runBundleCommand(label: string, build: () => Promise<Bundle>): void {
  build().then(
    (b) => process.stdout.write(`${label} ${b.bytes.length} bytes sha384 ${b.sha384}\n`),
    (err: Error) => {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(1);
    },
  );
}

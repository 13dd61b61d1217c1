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
 *
 * Native addons (a prebuilt `.node` file, which esbuild cannot inline) are written
 * beside the bundle and required from there by a relative path fixed at build time,
 * so the bundle runs with no `node_modules` (see {@link NativeAddon}).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, posix, resolve } from "node:path";
import { type BuildOptions, build, type Plugin } from "esbuild";

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
  /** Native addons the bundle loads from files beside it (default none). */
  nativeAddons?: readonly NativeAddon[];
}

/**
 * A native addon shipped beside a bundle. Its package is resolved through its
 * `require` export (an ESM loader that finds addons with `createRequire(import.meta.url)`
 * cannot work inside a CommonJS bundle), and the module of that package which exports
 * the loaded addon is replaced by `module.exports = require("./<target>")`, a path
 * relative to the bundle that Node resolves at run time.
 */
export interface NativeAddon {
  /** The package the bundled code imports (e.g. `koffi`). */
  package: string;
  /** The module its loader requires for the addon of this platform (e.g. `@koromix/koffi-linux-x64`). */
  loader: string;
  /** The prebuilt addon, relative to the root (under `node_modules`, pinned by package-lock.json). */
  source: string;
  /** Where it is written, relative to the bundle's directory (e.g. `native/koffi-linux-x64.node`). */
  target: string;
}

/** One file written beside a bundle. */
export interface BundleFile {
  /** Path relative to the bundle's directory, with `/` separators. */
  path: string;
  bytes: Uint8Array;
  /** SHA-256 of `bytes`, lowercase hex. */
  sha256: string;
}

const NATIVE_NAMESPACE = "native-addon";

/** An esbuild filter matching exactly the module specifier `name`. */
function exact(name: string): RegExp {
  return new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`);
}

/** The esbuild plugin that implements {@link NativeAddon}. */
function nativeAddonsPlugin(addons: readonly NativeAddon[]): Plugin {
  return {
    name: "native-addons",
    setup(b) {
      for (const addon of addons) {
        b.onResolve({ filter: exact(addon.package) }, async (args) => {
          if (args.pluginData === NATIVE_NAMESPACE) return undefined;
          const resolved = await b.resolve(addon.package, {
            kind: "require-call",
            resolveDir: args.resolveDir,
            pluginData: NATIVE_NAMESPACE,
          });
          if (resolved.errors.length > 0) return { errors: resolved.errors };
          return { path: resolved.path };
        });
        b.onResolve({ filter: exact(addon.loader) }, () => ({ path: addon.loader, namespace: NATIVE_NAMESPACE }));
      }
      b.onLoad({ filter: /.*/, namespace: NATIVE_NAMESPACE }, (args) => {
        const addon = addons.find((a) => a.loader === args.path) as NativeAddon;
        return { contents: `module.exports = require(${JSON.stringify(`./${addon.target}`)});\n`, loader: "js" };
      });
      b.onResolve({ filter: /\.node$/, namespace: NATIVE_NAMESPACE }, (args) => ({ path: args.path, external: true }));
    },
  };
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
    plugins: spec.nativeAddons?.length ? [nativeAddonsPlugin(spec.nativeAddons)] : [],
  };
}

export interface Bundle {
  bytes: Uint8Array;
  /** SHA-384 of `bytes`, lowercase hex (96 characters). */
  sha384: string;
  /** Source files in the bundle, relative to the root (from the esbuild metafile), sorted. */
  inputs: string[];
  /** Files the bundle needs beside it (its native addons), sorted by path. */
  files: BundleFile[];
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
  const files = (spec.nativeAddons ?? [])
    .map((addon) => {
      const bytes = new Uint8Array(readFileSync(join(root, addon.source)));
      return { path: posix.normalize(addon.target), bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    bytes: file.contents,
    sha384: createHash("sha384").update(file.contents).digest("hex"),
    inputs: Object.keys(result.metafile.inputs).sort(),
    files,
  };
}

/**
 * Name of the list, beside a bundle with files, of every file that goes into its
 * image: the bundle and its files with their SHA-256, in `sha256sum` format (so
 * `sha256sum -c` checks it), sorted by path.
 */
export const FILE_LIST = "image-files.sha256";

/**
 * Writes `bundle` as `<outdir>/<name>` and its digest (hex + newline) as
 * `<outdir>/<stem>.sha384`; a bundle with files also gets them and {@link FILE_LIST}.
 */
export function writeBundle(bundle: Bundle, outdir: string, name: string): string {
  mkdirSync(outdir, { recursive: true });
  const path = join(outdir, name);
  writeFileSync(path, bundle.bytes);
  writeFileSync(join(outdir, `${basename(name, ".js")}.sha384`), `${bundle.sha384}\n`);
  if (bundle.files.length > 0) {
    for (const file of bundle.files) {
      mkdirSync(dirname(join(outdir, file.path)), { recursive: true });
      writeFileSync(join(outdir, file.path), file.bytes);
    }
    writeFileSync(join(outdir, FILE_LIST), fileList(bundle, name));
  }
  return path;
}

/** The {@link FILE_LIST} text of `bundle` written as `name`. */
export function fileList(bundle: Bundle, name: string): string {
  const bundleSha256 = createHash("sha256").update(bundle.bytes).digest("hex");
  return [{ path: name, sha256: bundleSha256 }, ...bundle.files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .join("");
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

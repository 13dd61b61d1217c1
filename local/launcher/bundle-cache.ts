/**
 * DEV ONLY: the local topology's processes run from esbuild bundles cached under
 * `<repo>/.vettid/cache/bundles/`, so a start does not pay tsx compiling TypeScript in
 * every process. A cached bundle is run only while every file it was built from, and
 * every directory those files are in, is unchanged; anything else rebuilds it first.
 *
 * How "unchanged" is decided (as git's index does): each input's inode, size, mtime and
 * ctime (nanoseconds) are recorded with a SHA-256 of its contents (of its names, for a
 * directory). A file whose stat matches is unchanged: a write always moves ctime, which
 * no tool can set back. One whose stat differs is hashed again and compared. A build
 * during which, or less than {@link RACY_WINDOW_NS} before which, an input changed is
 * used but not cached: esbuild may have read it before that change, and a later write
 * in the same clock tick could keep its timestamps. Directories are checked so a file
 * added next to an input (`x.ts` beside `x/index.ts`) rebuilds too. The recipe — the entry,
 * esbuild's version, the options, `tsconfig.json` and `package-lock.json` — names the
 * cache entry, so a change of any of them is a different entry.
 *
 * No relative imports and no `__dirname`: `local/launch.ts` loads this file with Node's
 * own type stripping, before anything is bundled.
 */
import { createHash } from "node:crypto";
import {
  type BigIntStats,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

/** A bundle ready to run. */
export interface CachedBundle {
  /** The bundle file (CommonJS, Node 22). */
  path: string;
  /** Whether it was built now (the cache held none for these sources). */
  built: boolean;
}

/**
 * An input changed this shortly before a build (or during it) keeps the build out of
 * the cache: the kernel stamps files from a coarse clock (a few ms behind the real
 * one), so a second write in the same tick keeps the timestamps. Two seconds covers
 * that with a wide margin.
 */
export const RACY_WINDOW_NS = 2_000_000_000n;

/** Packages left out of every bundle and required from `node_modules` at run time. */
const EXTERNAL = [
  // its native binary is found relative to its own package
  "esbuild",
  // LevelDB through a native addon (classic-level), found relative to its package
  "dynalite",
];

interface RecordedFile {
  path: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  sha256: string;
}

interface Manifest {
  bundle: string;
  files: RecordedFile[];
  dirs: RecordedFile[];
}

/** The cache directory of the repository at `root`. */
export function bundleCacheDir(root: string): string {
  return join(root, ".vettid", "cache", "bundles");
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What a file or directory holds: its bytes, or its sorted names. */
function contentHash(path: string, isDir: boolean): string {
  return isDir ? sha256(readdirSync(path).sort().join("\0")) : sha256(readFileSync(path));
}

/** The entry's record, or `undefined` when it changed after `notAfterNs`. */
function record(root: string, path: string, isDir: boolean, notAfterNs: bigint): RecordedFile | undefined {
  const stat = statSync(join(root, path), { bigint: true });
  if (stat.ctimeNs > notAfterNs || stat.mtimeNs > notAfterNs) return undefined;
  return {
    path,
    ino: String(stat.ino),
    size: String(stat.size),
    mtimeNs: String(stat.mtimeNs),
    ctimeNs: String(stat.ctimeNs),
    sha256: contentHash(join(root, path), isDir),
  };
}

function unchanged(root: string, entry: RecordedFile, isDir: boolean): boolean {
  const full = join(root, entry.path);
  let stat: BigIntStats;
  try {
    stat = statSync(full, { bigint: true });
  } catch {
    return false;
  }
  if (stat.isDirectory() !== isDir) return false;
  const same =
    String(stat.ino) === entry.ino &&
    String(stat.size) === entry.size &&
    String(stat.mtimeNs) === entry.mtimeNs &&
    String(stat.ctimeNs) === entry.ctimeNs;
  return same || contentHash(full, isDir) === entry.sha256;
}

function readOptional(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/** The esbuild options of a local bundle (CommonJS for Node 22, everything bundled but {@link EXTERNAL}). */
function buildOptions(root: string, entry: string) {
  return {
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: "node" as const,
    target: "node22",
    format: "cjs" as const,
    write: false as const,
    outfile: join(bundleCacheDir(root), "out.js"),
    metafile: true as const,
    logLevel: "silent" as const,
    external: EXTERNAL,
    keepNames: true,
    sourcemap: false,
  };
}

/** The cache entry's name: the entry point and everything besides its sources that shapes its bundle. */
function recipe(root: string, entry: string): string {
  const esbuildVersion = (
    JSON.parse(readOptional(join(root, "node_modules", "esbuild", "package.json")) || "{}") as { version?: string }
  ).version;
  return sha256(
    JSON.stringify({
      entry,
      esbuildVersion,
      options: { ...buildOptions(root, entry), absWorkingDir: undefined, outfile: undefined },
      tsconfig: readOptional(join(root, "tsconfig.json")),
      packageLock: sha256(readOptional(join(root, "package-lock.json"))),
    }),
  ).slice(0, 24);
}

function writeAtomically(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

/**
 * The bundle of `entry` (a path relative to `root`, e.g. `vsock-proxy/main.ts`): the
 * cached one when its sources are unchanged, else built now and cached. Safe when
 * several launchers build at once (each file is written beside its name and renamed).
 *
 * `options.racyWindowNs` replaces {@link RACY_WINDOW_NS} (tests, whose files are new).
 *
 * @example
 * const { path } = await cachedBundle(root, "local/runtime-process.ts");
 * spawn(process.execPath, [path], { env });
 */
export async function cachedBundle(
  root: string,
  entry: string,
  options: { racyWindowNs?: bigint } = {},
): Promise<CachedBundle> {
  const dir = bundleCacheDir(root);
  const name = `${entry.replace(/[^A-Za-z0-9]+/g, "-")}-${recipe(root, entry)}`;
  const manifestPath = join(dir, `${name}.json`);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
    const bundle = join(dir, manifest.bundle);
    if (
      existsSync(bundle) &&
      manifest.files.every((f) => unchanged(root, f, false)) &&
      manifest.dirs.every((d) => unchanged(root, d, true))
    ) {
      return { path: bundle, built: false };
    }
  }
  const { build } = await import("esbuild");
  const notAfterNs = BigInt(Date.now()) * 1_000_000n - (options.racyWindowNs ?? RACY_WINDOW_NS);
  const result = await build(buildOptions(root, entry));
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild wrote no bundle for ${entry}`);
  const inputs = Object.keys(result.metafile.inputs).filter((path) => !path.includes(":"));
  const files = inputs.map((path) => record(root, path, false, notAfterNs));
  const dirs = [...new Set(inputs.map((path) => dirname(path)))].map((path) => record(root, path, true, notAfterNs));
  const bundleName = `${name}-${sha256(output.contents).slice(0, 16)}.js`;
  mkdirSync(dir, { recursive: true });
  writeAtomically(join(dir, bundleName), output.contents);
  if (files.every((f) => f !== undefined) && dirs.every((d) => d !== undefined)) {
    writeAtomically(manifestPath, JSON.stringify({ bundle: bundleName, files, dirs } as Manifest));
  }
  return { path: join(dir, bundleName), built: true };
}

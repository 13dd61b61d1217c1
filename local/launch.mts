/**
 * `npm start` (the script `exec`s `node local/launch.mts`): runs the launcher,
 * local/start.ts, from its cached esbuild bundle (local/launcher/bundle-cache.ts),
 * building it first when any of its sources changed, so a start does not pay tsx
 * compiling the launcher's TypeScript. Node runs this file and the cache module with
 * its own type stripping (Node 22.18 and later); the launcher's arguments, signals
 * and exit code are its own, as it runs in this process.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type * as BundleCache from "./launcher/bundle-cache";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// a variable, not a literal: TypeScript would ask for allowImportingTsExtensions; Node needs the extension
const cacheModule = "./launcher/bundle-cache.ts";
const { cachedBundle } = (await import(cacheModule)) as typeof BundleCache;
const launcher = await cachedBundle(root, "local/start.ts");
createRequire(import.meta.url)(launcher.path);

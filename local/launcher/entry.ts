import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { type CachedBundle, cachedBundle } from "./bundle-cache";

/**
 * The repository root (the child processes' working directory): the nearest directory
 * above this module with a `package.json`, from the sources and from the launcher's
 * bundle in `<root>/.vettid/cache/bundles/` alike.
 */
export const repoRoot = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** How to start one TypeScript entry point of the repository as a Node process. */
export interface EntryCommand {
  command: string;
  args: string[];
}

/** Bundles being checked or built now, so the four stand-ins starting at once build theirs once. */
const pending = new Map<string, Promise<CachedBundle>>();

/**
 * The command that runs `entry` (a path under the repository root, e.g.
 * `vsock-proxy/main.ts`) with this launcher's Node from its cached bundle
 * (./bundle-cache.ts), built first when any of its sources changed. Asked again at
 * every (re)start, so a restarted child never runs a bundle older than its sources.
 */
export async function entryCommand(entry: string): Promise<EntryCommand> {
  let bundle = pending.get(entry);
  if (!bundle) {
    bundle = cachedBundle(repoRoot, entry).finally(() => pending.delete(entry));
    pending.set(entry, bundle);
  }
  return { command: process.execPath, args: [(await bundle).path] };
}

/**
 * Checks (and builds when stale) the bundles of `entries` now, in the background, so a
 * first start after a source change builds them side by side with other work; the
 * later {@link entryCommand} of each then finds them cached. Failures are left to it.
 */
export function prepareEntries(entries: readonly string[]): void {
  for (const entry of entries) entryCommand(entry).catch(() => undefined);
}

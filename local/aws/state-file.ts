import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

/**
 * Where a stand-in keeps its state between starts of its process (dev only): the
 * state as one JSON document, loaded once at start and saved whole after every
 * change, before the change is acknowledged.
 */
export interface StateFile<T> {
  /** The saved state, or `undefined` when none was saved yet. */
  load(): T | undefined;
  /** Replaces the saved state: written beside the file, then renamed over it, so a reader never sees half. */
  save(state: T): void;
}

/**
 * A {@link StateFile} at `path` (mode 0600: the KMS stand-in's key material and the
 * Secrets Manager stand-in's secrets are in it). The rename makes a save survive the
 * death of the process that wrote it (what a supervised restart follows); it is not
 * fsynced, so a crash of the machine may lose the last saves, as dynalite's LevelDB.
 *
 * @example
 * const file = jsonStateFile<{ keys: string[] }>(join(dir, "keys.json"));
 * const state = file.load() ?? { keys: [] };
 * state.keys.push("k1");
 * file.save(state); // then answer the request
 */
export function jsonStateFile<T>(path: string): StateFile<T> {
  return {
    load: () => (existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : undefined),
    save(state) {
      const temporary = `${path}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
      renameSync(temporary, path);
    },
  };
}

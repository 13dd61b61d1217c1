import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** The lock file of a state directory: the pid of the launcher that owns it. */
export const STATE_LOCK_FILE = "launcher.pid";

/** Raised when a live launcher already owns the state directory. */
export class StateDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `another launcher (pid ${pid}) is running on ${dir}; stop it first (Ctrl-C there, or kill -TERM ${pid}), ` +
        `or use another --state-dir`,
    );
    this.name = "StateDirInUseError";
  }
}

/** A state directory held by this process. */
export interface StateLock {
  readonly path: string;
  /** Removes the lock file if it is still this process's. */
  release(): void;
}

/** Whether a process with `pid` exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `dir`'s lock for `pid` before anything in `dir` is touched: creates
 * `dir/launcher.pid` exclusively; when it exists and names a live process other
 * than `pid`, refuses; when that process is gone (a launcher that was SIGKILLed),
 * takes the stale lock over.
 * @throws StateDirInUseError naming the live launcher
 */
export function acquireStateLock(
  dir: string,
  pid: number = process.pid,
  alive: (pid: number) => boolean = processAlive,
): StateLock {
  const path = join(dir, STATE_LOCK_FILE);
  // a stale lock is removed and the exclusive create tried again; two launchers racing
  // for one stale lock both retry, and the one that loses the create sees the winner
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      return { path, release: () => releaseIfOwned(path, pid) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = readHolder(path);
    if (holder === pid) return { path, release: () => releaseIfOwned(path, pid) };
    if (holder !== undefined && alive(holder)) throw new StateDirInUseError(dir, holder);
    rmSync(path, { force: true });
  }
  throw new Error(`could not take the lock ${path}`);
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function releaseIfOwned(path: string, pid: number): void {
  if (readHolder(path) === pid) rmSync(path, { force: true });
}

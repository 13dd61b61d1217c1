/**
 * The local launcher's supervisor (dev only): every child process of the topology
 * that exits without being asked to is reported and started again with its state,
 * after a back-off; one that keeps crashing is given up on.
 */

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
}

/** A child process of the topology as the supervisor sees it. */
export interface SupervisedChild {
  /** What the reports call it ("nats-server", "vault runtime", …). */
  readonly name: string;
  /** The running process's pid (undefined while none runs). */
  readonly pid: number | undefined;
  /** Resolves when the running process exits (at once when none runs). */
  exited(): Promise<ChildExit>;
  /** Starts it again with its state (same ports, files, store); resolves once it serves. */
  restart(): Promise<void>;
}

/** Options of {@link RestartBackoff}. */
export interface RestartBackoffOptions {
  /** First delay after a crash. */
  baseMs: number;
  /** Longest delay (doubling stops here). */
  maxMs: number;
  /** A child that ran this long counts as healthy again: the next delay is `baseMs`. */
  stableMs: number;
  /** Give up after this many crashes within `windowMs`. */
  maxCrashes: number;
  windowMs: number;
}

/**
 * The launcher's defaults: a child killed by hand is back within a quarter of a
 * second; a child that cannot stay up (5 crashes in a minute: about 250 + 500 + 1,000 +
 * 2,000 ms of back-off plus 5 start-ups) is not restarted in a loop for ever.
 */
export const LAUNCHER_RESTART_BACKOFF: RestartBackoffOptions = {
  baseMs: 250,
  maxMs: 8_000,
  stableMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

/** What to do after a child exited unasked. */
export type RestartDecision = { restart: true; delayMs: number; attempt: number } | { restart: false; reason: string };

/** Back-off and give-up of one child's restarts. Pure: no timers, time passed in. */
export class RestartBackoff {
  private consecutive = 0;
  private crashes: number[] = [];
  private restarts = 0;

  constructor(private readonly options: RestartBackoffOptions = LAUNCHER_RESTART_BACKOFF) {
    const { baseMs, maxMs, stableMs, maxCrashes, windowMs } = options;
    if (!(baseMs > 0 && maxMs >= baseMs && stableMs > 0 && maxCrashes >= 1 && windowMs > 0)) {
      throw new RangeError("restart back-off: 0 < baseMs <= maxMs, stableMs > 0, maxCrashes >= 1, windowMs > 0");
    }
  }

  /** The decision at time `now` after a child that had run for `ranMs` exited unasked. */
  afterExit(now: number, ranMs: number): RestartDecision {
    const { baseMs, maxMs, stableMs, maxCrashes, windowMs } = this.options;
    this.crashes = [...this.crashes.filter((at) => now - at < windowMs), now];
    if (this.crashes.length > maxCrashes) {
      return { restart: false, reason: `${this.crashes.length} crashes within ${windowMs / 1000} s` };
    }
    if (ranMs >= stableMs) this.consecutive = 0;
    const delayMs = Math.min(maxMs, baseMs * 2 ** Math.min(this.consecutive, 30));
    this.consecutive += 1;
    this.restarts += 1;
    return { restart: true, delayMs, attempt: this.restarts };
  }
}

/** Options of {@link superviseChildren}. */
export interface SuperviseOptions {
  /** One line per event (the launcher's progress output). */
  report(line: string): void;
  /**
   * After a child restarted, before it is reported: waits until the whole topology
   * serves again (the proxy reconnected to NATS, the runtime to the proxy). A
   * failure is reported, and does not count as a crash of the child.
   */
  settle?(child: SupervisedChild): Promise<void>;
  /** After a restart: the child's new pid is to be published. */
  onRestarted?(child: SupervisedChild): void;
  /** A child was given up on (the launcher stops the topology). */
  onGiveUp?(child: SupervisedChild, reason: string): void;
  backoff?: RestartBackoffOptions;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A running supervision. */
export interface Supervision {
  /** Restarts nothing more; resolves once a restart under way has finished (its child then is the caller's to stop). */
  stop(): Promise<void>;
}

/** `exit 1`, `SIGKILL`. */
export function describeExit(exit: ChildExit): string {
  return exit.signal ? exit.signal : `exit ${exit.code}`;
}

/**
 * Watches every child: when one exits and the supervision is not stopping, waits
 * the back-off (a signal to the whole process group stops the launcher meanwhile,
 * and then nothing is restarted or reported), reports the exit, restarts the child
 * with its state and reports its new pid. A restart that fails counts as a crash.
 *
 * @example
 * const supervision = superviseChildren([nats, proxy, runtime], { report: progress.info });
 * …
 * await supervision.stop(); // then stop the children
 */
export function superviseChildren(children: readonly SupervisedChild[], options: SuperviseOptions): Supervision {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let stopping = false;
  const restarting = new Set<Promise<void>>();
  const watch = async (child: SupervisedChild): Promise<void> => {
    const backoff = new RestartBackoff(options.backoff);
    let startedAt = now();
    let failed = false;
    for (;;) {
      const pid = child.pid;
      const exit = await child.exited();
      if (stopping) return;
      const decision = backoff.afterExit(now(), now() - startedAt);
      if (!decision.restart) {
        options.report(`supervisor: giving up on ${child.name} (last exit ${describeExit(exit)}): ${decision.reason}`);
        options.onGiveUp?.(child, decision.reason);
        return;
      }
      await sleep(decision.delayMs);
      if (stopping) return;
      options.report(
        failed
          ? `supervisor: trying ${child.name} again (restart ${decision.attempt})`
          : `supervisor: ${child.name} (pid ${pid}) exited (${describeExit(exit)}); restarting it with its state (restart ${decision.attempt})`,
      );
      startedAt = now();
      const restart = child.restart();
      const tracked = restart.then(
        () => undefined,
        () => undefined,
      );
      restarting.add(tracked);
      try {
        await restart;
        failed = false;
      } catch (err) {
        options.report(`supervisor: ${child.name} did not start again: ${(err as Error).message.split("\n")[0]}`);
        failed = true;
        continue;
      } finally {
        restarting.delete(tracked);
      }
      if (stopping) return;
      options.onRestarted?.(child);
      const settled = await (options.settle?.(child) ?? Promise.resolve()).then(
        () => "",
        (err: Error) => `; ${err.message.split("\n")[0]}`,
      );
      if (stopping) return;
      options.report(`supervisor: ${child.name} restarted as pid ${child.pid}${settled}`);
    }
  };
  for (const child of children) void watch(child);
  return {
    async stop() {
      stopping = true;
      await Promise.allSettled([...restarting]);
    },
  };
}

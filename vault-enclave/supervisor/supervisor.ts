import { RestartPolicy, type RestartPolicyOptions } from "./restart-policy";

/** A running worker as the supervisor sees it (a child process, or a test double). */
export interface Worker {
  /** Asks it to stop (SIGTERM for a process). */
  stop(): void;
  /** Resolves when it has exited. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

/** Options of {@link Supervisor}. */
export interface SupervisorOptions {
  /** Starts one worker; `restarts` is how many came before it (the worker reports it). */
  start(restarts: number): Worker;
  policy?: RestartPolicyOptions;
  now?: () => number;
  /** Waits `ms` (tests pass a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

/**
 * The in-enclave supervisor: keeps one vault runtime worker running, restarting it
 * after a crash with back-off (./restart-policy.ts), and stops it on request. A crash
 * loses only what the worker held in memory (sessions, unlocks, loaded vaults):
 * every acknowledged write is in the blob store, and devices handshake again.
 *
 * @example
 * const supervisor = new Supervisor({ start: (restarts) => spawnWorker(restarts) });
 * const exit = await supervisor.run(); // resolves when the worker stops for good
 */
export class Supervisor {
  private readonly policy: RestartPolicy;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: (line: string) => void;
  private current: Worker | undefined;
  private stopping = false;
  private restarts = 0;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = new RestartPolicy(options.policy);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.log = options.log ?? (() => undefined);
  }

  /** Restarts so far. */
  get restartCount(): number {
    return this.restarts;
  }

  /**
   * Runs workers until one exits for good (cleanly, with a final code, or after
   * {@link stop}); resolves with that worker's exit.
   */
  async run(): Promise<{ code: number | null; signal: string | null }> {
    for (;;) {
      const startedAt = this.now();
      const worker = this.options.start(this.restarts);
      this.current = worker;
      const exit = await worker.exited;
      this.current = undefined;
      if (this.stopping) return exit;
      const decision = this.policy.afterExit(exit.code, exit.signal, this.now() - startedAt);
      if (!decision.restart) {
        this.log(`worker exited (${describe(exit)}); not restarting: ${decision.reason}`);
        return exit;
      }
      this.log(`worker exited (${describe(exit)}); restarting in ${decision.delayMs} ms`);
      await this.sleep(decision.delayMs);
      if (this.stopping) return exit;
      this.restarts += 1;
    }
  }

  /** Stops the current worker and restarts none. */
  stop(): void {
    this.stopping = true;
    this.current?.stop();
  }
}

function describe(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

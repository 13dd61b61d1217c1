import { VettidError } from "../../lib/errors";

/**
 * A counting semaphore with a bounded queue per key: at most `permits` tasks run at
 * once, and each key (a device) may have at most `perKey` waiting, so one device
 * cannot queue work that delays everyone else's; its excess is refused at once.
 * (No maintained package in this project's dependency set does per-key quotas; this
 * is 40 lines.)
 */
export class KeyedSemaphore {
  private running = 0;
  private readonly waiting: { key: string; start: () => void }[] = [];
  private readonly queuedByKey = new Map<string, number>();

  constructor(
    private readonly permits: number,
    private readonly perKey: number,
  ) {}

  /**
   * Runs `task` once a permit is free.
   * @throws VettidError `RATE_LIMITED` when `key` already has `perKey` tasks waiting.
   */
  async run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    if (this.running >= this.permits) {
      const queued = this.queuedByKey.get(key) ?? 0;
      if (queued >= this.perKey) throw new VettidError("RATE_LIMITED", "too many operations waiting for this device");
      this.queuedByKey.set(key, queued + 1);
      await new Promise<void>((start) => this.waiting.push({ key, start }));
      const left = (this.queuedByKey.get(key) ?? 1) - 1;
      if (left === 0) this.queuedByKey.delete(key);
      else this.queuedByKey.set(key, left);
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running -= 1;
    }
  }
}

/** Runs tasks one at a time per key, in arrival order (a vault's state transitions). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

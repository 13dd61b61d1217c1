/** Progress output of the local launcher: one line per step, marked dev-only. */
export interface Progress {
  /** Runs `work` as a named step and prints its outcome and duration. */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  info(text: string): void;
}

const PREFIX = "[vettid local · dev only]";

export function createProgress(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Progress {
  return {
    async step(label, work) {
      const started = performance.now();
      try {
        const result = await work();
        write(`${PREFIX} ✓ ${label} (${Math.round(performance.now() - started)} ms)`);
        return result;
      } catch (err) {
        write(`${PREFIX} ✗ ${label}: ${(err as Error).message}`);
        throw err;
      }
    },
    info(text) {
      write(`${PREFIX} ${text}`);
    },
  };
}

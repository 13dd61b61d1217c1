/**
 * DEV ONLY. What each process the local launcher starts does the same way
 * (local/runtime-process.ts, local/stand-in-process.ts): read its required settings,
 * stop cleanly on SIGINT/SIGTERM, and end with one error line.
 */

/** The environment variable `name`, or exit 78 (configuration error) with one line. */
export function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`error: ${name} is required\n`);
    process.exit(78);
  }
  return value;
}

/** Runs `close` once on the first SIGINT or SIGTERM, then exits 0. */
export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

/** Runs `main`; a failure ends the process with exit 1 and one `error:` line. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

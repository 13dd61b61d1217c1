import { spawn } from "node:child_process";
import type { Worker } from "./supervisor";

/** Set in a worker's environment: this process is the runtime worker, not the supervisor. */
export const WORKER_ENV = "VETTID_RUNTIME_WORKER";
/** Set in a worker's environment: how many workers the supervisor started before it. */
export const RESTARTS_ENV = "VETTID_RUNTIME_RESTARTS";

/**
 * Starts `command args` as a worker process with the supervisor's stdio, `env` plus
 * {@link WORKER_ENV} and {@link RESTARTS_ENV}; `stop()` sends it SIGTERM.
 */
export function spawnWorker(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  restarts: number,
): Worker {
  const child = spawn(command, [...args], {
    stdio: "inherit",
    env: { ...env, [WORKER_ENV]: "1", [RESTARTS_ENV]: String(restarts) },
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("error", () => resolve({ code: 1, signal: null }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return {
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
    exited,
  };
}

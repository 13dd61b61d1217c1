/** The in-enclave supervisor: one vault runtime worker, restarted after a crash with back-off. */

export { RESTARTS_ENV, spawnWorker, WORKER_ENV } from "./process-worker";
export {
  DEFAULT_RESTART_POLICY,
  type RestartDecision,
  RestartPolicy,
  type RestartPolicyOptions,
} from "./restart-policy";
export { Supervisor, type SupervisorOptions, type Worker } from "./supervisor";

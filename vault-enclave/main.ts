/**
 * Entry point of the vault runtime inside the Nitro Enclave (the bundle `npm run
 * build:enclave` produces and the enclave image runs).
 *
 * It validates its configuration (the environment and the measured configuration of
 * the image) and starts the in-enclave supervisor (./supervisor), which runs the
 * runtime as a worker process and restarts it after a crash with back-off. The worker
 * states what it serves, checks its environment (the NSM and the proxy link,
 * ./environment.ts) and then runs the vault runtime (./runtime/start.ts) until
 * SIGTERM. Outside an enclave the check fails ("no /dev/nsm") and it exits with
 * EX_UNAVAILABLE (69), opening nothing.
 */
import { ConfigError, loadConfigOrExit, settings } from "../lib/config";
import { sodiumReady } from "../lib/crypto";
import { CHANNELS } from "../lib/frames";
import * as z from "../lib/zod";
import { loadMeasuredConfig, MEASURED_CONFIG_PATH, type MeasuredConfig } from "./config";
import { checkEnvironment, proxyTransport } from "./environment";
import { newRuntimeId, RUNTIME_ID } from "./lease/record";
import { createDeviceNsm } from "./nsm";
import { startRuntime } from "./runtime/start";
import { Supervisor, spawnWorker, WORKER_ENV } from "./supervisor";

/** Configuration of the runtime (set in the enclave image; the host cannot change it). */
export const RuntimeConfigSchema = z.object({
  /** Deployment environment; `local` and `dev` allow the simulated NSM, nothing else does. */
  VETTID_ENV: settings.environment,
  /**
   * How to reach the vsock proxy: `vsock` in an enclave (parent CID 3), `unix` in
   * development and tests (never AF_VSOCK on a development machine).
   */
  VETTID_PROXY_TRANSPORT: z._default(z.enum(["vsock", "unix"]), "vsock"),
  /** vsock port of the proxy on the parent instance. */
  VETTID_PROXY_PORT: z._default(settings.port, 5005),
  /** Unix socket path of the proxy when the transport is `unix`. */
  VETTID_PROXY_SOCKET: z.optional(z.string().check(z.minLength(1))),
  /**
   * The measured configuration file (security settings: KMS name, sealing key ARN,
   * trust roots, manifest key). Default: the image's own `/app/runtime-config.json`.
   */
  VETTID_RUNTIME_CONFIG: z._default(z.string().check(z.minLength(1)), MEASURED_CONFIG_PATH),
});

export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;

/** Set in a worker's environment by the supervisor: the runtime's id in the vault leases. */
export const RUNTIME_ID_ENV = "VETTID_RUNTIME_ID";

/** Exit code when the service is not available (sysexits.h EX_UNAVAILABLE). */
export const EX_UNAVAILABLE = 69;

/** What the runtime will serve, per proxy channel. */
export const PLANNED_SERVICE: Readonly<Record<(typeof CHANNELS)[number], string>> = {
  control: "answer the proxy's attestation challenge with an NSM document",
  nats: "vault subjects: attestation, E2E session handshake, sealed vault operations",
  tunnel: "KMS over TLS that ends in the enclave (GenerateDataKey/Decrypt with attested Recipient)",
  blob: "sealed vault state objects with version checks",
  log: "structured log entries, never vault plaintext",
  metrics: "operation counts and latencies",
  health: "liveness pings",
};

/** Validates `source` and describes what the runtime will serve, one line per channel. */
export function describeRuntime(source: Record<string, string | undefined>): string[] {
  return loadRuntime(source).lines;
}

/**
 * Validates the environment and the measured configuration (exit 78 with one line
 * when wrong) and describes what the runtime serves.
 */
export function loadRuntime(source: Record<string, string | undefined>): {
  config: RuntimeConfig;
  measured: MeasuredConfig;
  lines: string[];
} {
  const config = loadConfigOrExit(RuntimeConfigSchema, source);
  if (config.VETTID_PROXY_TRANSPORT === "unix" && config.VETTID_PROXY_SOCKET === undefined) {
    process.stderr.write(
      "error: invalid configuration: VETTID_PROXY_SOCKET is required when VETTID_PROXY_TRANSPORT=unix\n",
    );
    process.exit(78);
  }
  let measured: MeasuredConfig;
  try {
    const dev = config.VETTID_ENV === "local" || config.VETTID_ENV === "dev";
    if (!dev && config.VETTID_RUNTIME_CONFIG !== MEASURED_CONFIG_PATH) {
      throw new ConfigError(
        `VETTID_RUNTIME_CONFIG may name another file than ${MEASURED_CONFIG_PATH} only in local or dev`,
      );
    }
    measured = loadMeasuredConfig(config.VETTID_RUNTIME_CONFIG);
    if (measured.environment !== config.VETTID_ENV) {
      throw new ConfigError(`the measured configuration is for ${measured.environment}, not ${config.VETTID_ENV}`);
    }
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(78);
  }
  const where =
    config.VETTID_PROXY_TRANSPORT === "vsock"
      ? `vsock port ${config.VETTID_PROXY_PORT} of the parent instance`
      : `unix socket ${config.VETTID_PROXY_SOCKET}`;
  const lines = [
    `vault runtime (${config.VETTID_ENV}): configuration valid; proxy at ${where}`,
    `  sealing key ${measured.kms.keyArn} via ${measured.kms.endpointName} (${measured.trustRoots === "public" ? "public roots" : "dev CA, dev only"})`,
    ...CHANNELS.map((c) => `  will serve ${c}: ${PLANNED_SERVICE[c]}`),
  ];
  return { config, measured, lines };
}

/** Runs the runtime as the enclave image's entry point. */
async function main(): Promise<void> {
  const { config, measured, lines } = loadRuntime(process.env);
  for (const line of lines) process.stderr.write(`${line}\n`);
  // Loads the NSM binding and the proxy transport as the image carries them, and says
  // whether this is an enclave: outside one, "no /dev/nsm" for both, and nothing opened.
  const nsm = createDeviceNsm();
  const transport = proxyTransport(config);
  const environment = await checkEnvironment({ nsm, transport });
  for (const line of environment.lines) process.stderr.write(`environment: ${line}\n`);
  if (!environment.ok) {
    process.stderr.write("not serving: the NSM or the proxy link is missing\n");
    process.exit(EX_UNAVAILABLE);
  }
  await sodiumReady();
  const runtimeId = process.env[RUNTIME_ID_ENV];
  const running = await startRuntime({
    measured,
    nsm,
    transport,
    ...(runtimeId && RUNTIME_ID.test(runtimeId) ? { runtimeId } : {}),
  });
  process.stderr.write("serving\n");
  const stop = () => void running.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/**
 * The enclave image's first process: validates the configuration (one line and exit 78
 * before any worker starts), then keeps one runtime worker (this same program with
 * {@link WORKER_ENV} set) running, restarted after a crash with back-off
 * (./supervisor), and stops it on SIGTERM. Exits as the last worker did.
 */
async function supervise(): Promise<void> {
  loadRuntime(process.env);
  const script = process.argv[1] as string;
  // one lease identity for every worker: a restarted one renews its dead predecessor's leases
  const env = { ...process.env, [RUNTIME_ID_ENV]: newRuntimeId() };
  const supervisor = new Supervisor({
    start: (restarts) => spawnWorker(process.execPath, [...process.execArgv, script], env, restarts),
    log: (line) => process.stderr.write(`supervisor: ${line}\n`),
  });
  const stop = () => supervisor.stop();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  const exit = await supervisor.run();
  process.exit(exit.code ?? 1);
}

if (require.main === module) {
  (process.env[WORKER_ENV] === "1" ? main() : supervise()).catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

/**
 * Entry point of the vault runtime inside the Nitro Enclave (the bundle `npm run
 * build:enclave` produces and the enclave image runs).
 *
 * The runtime itself — attestation answers, E2E sessions, vault operations over the
 * proxy channels — arrives in a later change. Today this entry point validates its
 * configuration, states what the runtime will serve, checks its environment (the NSM
 * and the proxy link, ./environment.ts), and exits with EX_UNAVAILABLE (69) so nothing
 * mistakes it for a serving vault. Its bundle already goes through the
 * deterministic build and the enclave image recipe (ami/).
 */
import type { Nsm } from "../lib/attestation";
import { ConfigError, loadConfigOrExit, settings } from "../lib/config";
import { CHANNELS } from "../lib/frames";
import type { ProxyClient } from "../lib/proxy-client";
import * as z from "../lib/zod";
import { kmsTrustRoots, loadMeasuredConfig, MEASURED_CONFIG_PATH, type MeasuredConfig } from "./config";
import { checkEnvironment, proxyTransport } from "./environment";
import { SealingKms } from "./kms";
import { createDeviceNsm } from "./nsm";

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

/**
 * The runtime's KMS client, from its measured configuration: KMS over TLS through the
 * proxy's tunnel, trusting only the configuration's roots, with the NSM's Recipient.
 */
export function createRuntimeKms(config: MeasuredConfig, proxy: ProxyClient, nsm: Pick<Nsm, "attest">): SealingKms {
  return new SealingKms({
    region: config.kms.region,
    endpointName: config.kms.endpointName,
    keyArn: config.kms.keyArn,
    trustRoots: kmsTrustRoots(config),
    openTunnel: () => proxy.tunnel.open("kms"),
    credentials: () => proxy.awsCredentials(),
    nsm,
  });
}

/** Validates `source` and describes what the runtime will serve, one line per channel. */
export function describeRuntime(source: Record<string, string | undefined>): string[] {
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
  return [
    `vault runtime (${config.VETTID_ENV}): configuration valid; proxy at ${where}`,
    `  sealing key ${measured.kms.keyArn} via ${measured.kms.endpointName} (${measured.trustRoots === "public" ? "public roots" : "dev CA, dev only"})`,
    ...CHANNELS.map((c) => `  will serve ${c}: ${PLANNED_SERVICE[c]}`),
    "not serving yet: the vault runtime is not implemented in this build",
  ];
}

if (require.main === module) {
  for (const line of describeRuntime(process.env)) process.stderr.write(`${line}\n`);
  // Loads the NSM binding and the proxy transport as the image carries them, and says
  // whether this is an enclave: outside one, "no /dev/nsm" for both, and nothing opened.
  const config = loadConfigOrExit(RuntimeConfigSchema, process.env);
  void checkEnvironment({ nsm: createDeviceNsm(), transport: proxyTransport(config) }).then(({ lines }) => {
    for (const line of lines) process.stderr.write(`environment: ${line}\n`);
    process.exit(EX_UNAVAILABLE);
  });
}

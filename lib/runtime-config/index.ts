/**
 * The vault runtime's measured configuration (docs/decisions/0053): security settings
 * carried by the enclave image and covered by its PCRs, never taken from the host.
 * Shared by the runtime (vault-enclave/config reads it), the release tooling (ami/
 * checks it before it is measured) and the local launcher (writes the local one).
 */
export {
  DEFAULT_RECOVERY_DELAY_SECONDS,
  kmsTrustRoots,
  MEASURED_CONFIG_PATH,
  type MeasuredConfig,
  MeasuredConfigSchema,
  parseMeasuredConfig,
  RUNTIME_NATS_KEY_CONTEXT,
  recoveryDelayMs,
} from "./measured-config";

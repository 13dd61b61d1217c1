/**
 * The vault runtime's measured configuration: security settings carried by the
 * enclave image (covered by its PCRs), never taken from the host.
 */
export { loadMeasuredConfig } from "./load";
export {
  kmsTrustRoots,
  MEASURED_CONFIG_PATH,
  type MeasuredConfig,
  MeasuredConfigSchema,
  parseMeasuredConfig,
} from "./measured-config";

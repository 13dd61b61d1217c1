/**
 * The vault runtime's measured configuration: read from the image (./load.ts); the
 * format and its rules live in lib/runtime-config.
 */
export {
  kmsTrustRoots,
  MEASURED_CONFIG_PATH,
  type MeasuredConfig,
  MeasuredConfigSchema,
  parseMeasuredConfig,
} from "../../lib/runtime-config";
export { loadMeasuredConfig } from "./load";

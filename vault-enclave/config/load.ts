import { readFileSync } from "node:fs";
import { ConfigError } from "../../lib/config";
import { MEASURED_CONFIG_PATH, type MeasuredConfig, parseMeasuredConfig } from "../../lib/runtime-config";

/** Largest configuration file read: a dev CA certificate and a JWK fit in a few KiB. */
const MAX_CONFIG_BYTES = 64 * 1024;

/**
 * Reads the measured configuration from the image (default {@link MEASURED_CONFIG_PATH}).
 * @throws ConfigError when the file is missing, too large, not JSON or invalid.
 */
export function loadMeasuredConfig(path: string = MEASURED_CONFIG_PATH): MeasuredConfig {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_CONFIG_BYTES) throw new ConfigError(`${path} is larger than ${MAX_CONFIG_BYTES} bytes`);
    text = bytes.toString("utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read the measured configuration ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`the measured configuration ${path} is not JSON`);
  }
  return parseMeasuredConfig(value);
}

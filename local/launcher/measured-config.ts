import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type MeasuredConfig, parseMeasuredConfig } from "../../lib/runtime-config";

/**
 * DEV ONLY. Writes the local enclave's measured configuration (what a production
 * enclave image carries at /app/runtime-config.json, vault-enclave/config) into
 * `dir/runtime-config.json`, after checking it as the runtime will. Returns the path.
 */
export function writeMeasuredConfig(dir: string, config: MeasuredConfig): string {
  const checked = parseMeasuredConfig(config);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, "runtime-config.json");
  writeFileSync(path, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
  return path;
}

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STATE_FILES, writeAtomic } from "./state";

/**
 * `DIR/pcr-manifest.json`: the PCR manifest this device accepted last, as published.
 * The next manifest must be this one or extend it (its `previous` names this one's
 * digest), and is verified with this one's release key set, so a key set rotation
 * carries over (decision 0067). Nothing in it is secret.
 */
export function loadSeenManifest(dir: string): string | undefined {
  const path = join(dir, STATE_FILES.manifest);
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** Records `text` (a manifest just verified against the one seen before) as the one seen last. */
export function saveSeenManifest(dir: string, text: string): void {
  writeAtomic(join(dir, STATE_FILES.manifest), text.endsWith("\n") ? text : `${text}\n`, 0o600);
}

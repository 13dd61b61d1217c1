import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** What the local launcher publishes in `.vettid/local/endpoints.json` (the part the CLI reads). */
export interface LocalEndpoints {
  rest?: string;
  nats?: string;
  adminToken?: string;
  stateDir?: string;
  [key: string]: unknown;
}

/**
 * Reads the local topology's endpoints (`VETTID_ENDPOINTS` or
 * `./.vettid/local/endpoints.json`); undefined when there is none.
 */
export function readLocalEndpoints(env: NodeJS.ProcessEnv): LocalEndpoints | undefined {
  const path = resolve(env.VETTID_ENDPOINTS ?? ".vettid/local/endpoints.json");
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return typeof value === "object" && value !== null ? (value as LocalEndpoints) : undefined;
  } catch {
    return undefined;
  }
}

/** Same origin (scheme, host, port), so a local token is never sent to another server. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

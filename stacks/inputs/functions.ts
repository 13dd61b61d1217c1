/**
 * Reads `dist/functions/functions.json`, the list of REST handlers the edge build
 * (`npm run build:functions`) writes: one entry per route with its bundle folder.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";

/** One REST handler, as `functions/build.ts` describes it. */
export interface FunctionEntry {
  /** Lambda name suffix, e.g. `enrollments-create`. */
  name: string;
  trigger?: undefined;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Route path, e.g. `/v1/enrollments` or `/v1/devices/{deviceId}`. */
  path: string;
  /** `iam`: the route requires SigV4 (operators); `none`: public (the handler authenticates). */
  auth: "iam" | "none";
  /** Bundle folder relative to the repository root. */
  bundle: string;
  handler: string;
  /** Environment variables the handler reads; each must be one the edge stack provides. */
  env: string[];
}

/** What invokes a worker (functions/shared/worker.ts). */
export const WORKER_TRIGGERS = ["revocations-stream"] as const;

/**
 * A function that no route reaches (`trigger` instead of method, path and auth): the
 * stacks give it no API route and no invoke permission, only its event source mapping.
 */
export interface WorkerEntry {
  name: string;
  trigger: (typeof WORKER_TRIGGERS)[number];
  bundle: string;
  handler: string;
  env: string[];
}

/** An entry of functions.json: a REST handler or a worker. */
export type BuiltFunction = FunctionEntry | WorkerEntry;

/** Whether `fn` is a worker (no route reaches it). */
export function isWorker(fn: BuiltFunction): fn is WorkerEntry {
  return fn.trigger !== undefined;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const NAME = /^[a-z0-9][a-z0-9-]{0,47}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** The file the edge build writes, relative to the repository root. */
export const FUNCTIONS_FILE = "dist/functions/functions.json";

/**
 * Validates the content of functions.json.
 * @throws Error with a one-line reason for the first bad entry.
 */
export function parseFunctions(text: string): BuiltFunction[] {
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error("functions.json: must be an array");
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const where = `functions.json[${i}]`;
    if (typeof item !== "object" || item === null) throw new Error(`${where}: must be an object`);
    const e = item as Record<string, unknown>;
    const name = String(e.name);
    if (!NAME.test(name)) throw new Error(`${where}: name must match ${NAME}`);
    if (seen.has(name)) throw new Error(`${where}: duplicate name ${name}`);
    seen.add(name);
    const bundle = String(e.bundle);
    if (isAbsolute(bundle) || normalize(bundle).startsWith("..")) {
      throw new Error(`${where}: bundle must be a path inside the repository`);
    }
    if (typeof e.handler !== "string" || e.handler.length === 0) throw new Error(`${where}: handler is required`);
    const env = Array.isArray(e.env) ? e.env.map(String) : [];
    for (const v of env) if (!ENV_NAME.test(v)) throw new Error(`${where}: bad env name ${v}`);
    if (e.trigger !== undefined) {
      if (!WORKER_TRIGGERS.includes(e.trigger as WorkerEntry["trigger"])) throw new Error(`${where}: bad trigger`);
      if (e.method !== undefined || e.path !== undefined || e.auth !== undefined) {
        throw new Error(`${where}: a worker (trigger) has no method, path or auth`);
      }
      return { name, trigger: e.trigger as WorkerEntry["trigger"], bundle, handler: e.handler, env: [...env].sort() };
    }
    if (!METHODS.includes(e.method as FunctionEntry["method"])) throw new Error(`${where}: bad method`);
    if (typeof e.path !== "string" || !e.path.startsWith("/")) throw new Error(`${where}: path must start with /`);
    if (e.auth !== "iam" && e.auth !== "none") throw new Error(`${where}: auth must be iam or none`);
    return {
      name,
      method: e.method as FunctionEntry["method"],
      path: e.path,
      auth: e.auth,
      bundle,
      handler: e.handler,
      env: [...env].sort(),
    };
  });
}

/**
 * Reads functions.json under `root` and checks that every bundle folder exists.
 * @throws Error when the file or a bundle is missing.
 */
export function readFunctions(root: string, file = FUNCTIONS_FILE): BuiltFunction[] {
  const path = join(root, file);
  if (!existsSync(path)) throw new Error(`${file} is missing; run npm run build:functions`);
  const entries = parseFunctions(readFileSync(path, "utf8"));
  for (const e of entries) {
    if (!existsSync(join(root, e.bundle))) throw new Error(`${file}: bundle ${e.bundle} of ${e.name} is missing`);
  }
  return entries;
}

import type { $ZodObject, output } from "zod/v4/core";
import { VettidError } from "../errors";
import * as z from "../zod";

/** Deployment environments; `local` is the embedded topology of `npm start`. */
export const ENVIRONMENTS = ["local", "dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Raised when configuration is missing or wrong; its message is one line. */
export class ConfigError extends VettidError {
  constructor(message: string) {
    super("CONFIG_INVALID", message);
    this.name = "ConfigError";
  }
}

/**
 * Validates `source` (by default `process.env`) against a zod object schema (mini or
 * classic) whose keys are the variable names. Unknown variables are ignored (the
 * environment holds many); every problem is reported, in one line.
 *
 * @example
 * const config = loadConfig(z.object({ VETTID_NATS_URL: z.url() }));
 * @throws ConfigError listing each bad or missing setting.
 */
export function loadConfig<S extends $ZodObject>(
  schema: S,
  source: Record<string, string | undefined> = process.env,
): output<S> {
  const result = z.safeParse(schema, source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join(".") || "(root)";
    const missing = issue.path.length > 0 && source[String(issue.path[0])] === undefined;
    const message = missing ? "is required" : issue.message;
    return `${key} ${message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
}

/**
 * Like {@link loadConfig}, but on failure prints the one-line reason to stderr and
 * ends the process with exit code 78 (EX_CONFIG). For process entry points only.
 */
export function loadConfigOrExit<S extends $ZodObject>(
  schema: S,
  source: Record<string, string | undefined> = process.env,
): output<S> {
  try {
    return loadConfig(schema, source);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}

/**
 * Guard for dev-only components (emulators, simulated NSM, dev root): refuses to
 * run unless the environment is `local` or `dev`.
 * @throws ConfigError in staging or prod.
 */
export function assertDevOnly(component: string, environment: string | undefined): void {
  if (environment !== "local" && environment !== "dev") {
    throw new ConfigError(
      `${component} is dev-only and refuses to run with VETTID_ENV=${environment ?? "(unset)"}; use local or dev`,
    );
  }
}

/**
 * zod (mini) helpers for common settings; wrap one to give it a default, e.g.
 * `z._default(settings.port, 8081)`.
 */
export const settings = {
  environment: z.enum(ENVIRONMENTS),
  port: z.coerce.number().check(z.int(), z.gte(0), z.lte(65535)),
  positiveInt: z.coerce.number().check(z.int(), z.positive()),
  /** A boolean written as true/false/1/0. */
  flag: z.pipe(
    z.enum(["true", "false", "1", "0"]),
    z.transform((v) => v === "true" || v === "1"),
  ),
};

import * as z from "zod";
import { ConfigError, loadConfig, settings } from "../../lib/config";
import { USER_JWT_TTL } from "../../lib/nats-auth";

/** Environment variables of the edge handlers (functions/README.md lists them). */
export const EdgeConfigSchema = z.object({
  VETTID_ENV: settings.environment,
  VETTID_TABLE_NAME: z.string().min(3).max(255),
  VETTID_NATS_URLS: z
    .string()
    .min(1)
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  VETTID_NATS_ACCOUNT_SECRET_ID: z.string().min(1).optional(),
  VETTID_NATS_OPERATOR_SECRET_ID: z.string().min(1).optional(),
  VETTID_MANIFEST_URL: z.string().min(1).default("/v1/pcr-manifest"),
  VETTID_MANIFEST_SOURCE: z.string().min(1).optional(),
  VETTID_JWT_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(USER_JWT_TTL.minSeconds)
    .max(USER_JWT_TTL.maxSeconds)
    .default(USER_JWT_TTL.defaultSeconds),
  VETTID_ADMIN_TOKEN: z.string().min(16).optional(),
  VETTID_CORS_ORIGINS: z.string().optional(),
  /** Local topology only: endpoints of the AWS stand-ins. */
  VETTID_DYNAMODB_ENDPOINT: z.url().optional(),
  VETTID_SECRETS_ENDPOINT: z.url().optional(),
});

export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

/**
 * Loads and cross-checks the configuration: the admin token and stand-in
 * endpoints are refused outside `local`/`dev`.
 */
export function loadEdgeConfig(source: Record<string, string | undefined> = process.env): EdgeConfig {
  const config = loadConfig(EdgeConfigSchema, source);
  const dev = config.VETTID_ENV === "local" || config.VETTID_ENV === "dev";
  if (!dev && (config.VETTID_ADMIN_TOKEN || config.VETTID_DYNAMODB_ENDPOINT || config.VETTID_SECRETS_ENDPOINT)) {
    throw new ConfigError(
      `VETTID_ADMIN_TOKEN and stand-in endpoints are dev-only and refused with VETTID_ENV=${config.VETTID_ENV}`,
    );
  }
  return config;
}

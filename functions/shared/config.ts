import { ConfigError, loadConfig, settings } from "../../lib/config";
import { USER_JWT_TTL } from "../../lib/nats-auth";
import { assertNatsUrls, type NatsTlsSettings } from "../../lib/nats-tls";
import * as z from "../../lib/zod";

/** Environment variables of the edge handlers (functions/README.md lists them). */
export const EdgeConfigSchema = z.object({
  VETTID_ENV: settings.environment,
  VETTID_TABLE_NAME: z.string().check(z.minLength(3), z.maxLength(255)),
  VETTID_NATS_URLS: z.pipe(
    z.string().check(z.minLength(1)),
    z.transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ),
  VETTID_NATS_DEVICE_SIGNING_SECRET_ID: z.optional(z.string().check(z.minLength(1))),
  VETTID_NATS_OPERATOR_SECRET_ID: z.optional(z.string().check(z.minLength(1))),
  VETTID_MANIFEST_URL: z._default(z.string().check(z.minLength(1)), "/v1/pcr-manifest"),
  VETTID_MANIFEST_SOURCE: z.optional(z.string().check(z.minLength(1))),
  VETTID_JWT_TTL_SECONDS: z._default(
    z.coerce.number().check(z.int(), z.gte(USER_JWT_TTL.minSeconds), z.lte(USER_JWT_TTL.maxSeconds)),
    USER_JWT_TTL.defaultSeconds,
  ),
  VETTID_ADMIN_TOKEN: z.optional(z.string().check(z.minLength(16))),
  VETTID_CORS_ORIGINS: z.optional(z.string()),
  /** Local topology only: endpoints of the AWS stand-ins. */
  VETTID_DYNAMODB_ENDPOINT: z.optional(z.url()),
  VETTID_SECRETS_ENDPOINT: z.optional(z.url()),
});

export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

/**
 * How the edge reaches NATS over `tls://`: the public endpoint, a network load balancer
 * that terminates TLS with the ACM certificate of the public host name. So TLS comes
 * first (the NLB speaks nothing else), and the certificate is checked against Node's
 * public roots and the URL's host name (docs/decisions/0064).
 */
export const EDGE_NATS_TLS: NatsTlsSettings = { handshakeFirst: true };

/**
 * Loads and cross-checks the configuration: the admin token and stand-in
 * endpoints are refused outside `local`/`dev`, and so are plaintext `nats://` URLs.
 */
export function loadEdgeConfig(source: Record<string, string | undefined> = process.env): EdgeConfig {
  const config = loadConfig(EdgeConfigSchema, source);
  assertNatsUrls("VETTID_NATS_URLS", config.VETTID_NATS_URLS, config.VETTID_ENV);
  const dev = config.VETTID_ENV === "local" || config.VETTID_ENV === "dev";
  if (!dev && (config.VETTID_ADMIN_TOKEN || config.VETTID_DYNAMODB_ENDPOINT || config.VETTID_SECRETS_ENDPOINT)) {
    throw new ConfigError(
      `VETTID_ADMIN_TOKEN and stand-in endpoints are dev-only and refused with VETTID_ENV=${config.VETTID_ENV}`,
    );
  }
  return config;
}

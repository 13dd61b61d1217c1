import type { Tracer } from "@aws-lambda-powertools/tracer";
import { ConfigError } from "../../lib/config";
import type { EdgeContext } from "../../lib/edge";
import { createDynamoDbStore } from "../../lib/store";
import { dynamoDbDocumentClient } from "./aws-clients";
import type { EdgeConfig } from "./config";
import { DeviceSigningSecretSchema, type SecretReader } from "./secrets";

/** Options of {@link createEdgeContext}. */
export interface EdgeContextOptions {
  config: EdgeConfig;
  /** Only routes that mint JWTs pass one (it pulls the Secrets Manager client into their bundles). */
  secrets?: (config: EdgeConfig, tracer?: Tracer) => SecretReader;
  /** The function's X-Ray tracer, which captures the context's AWS SDK clients. */
  tracer?: Tracer;
}

/**
 * Builds the context of the edge's use cases from configuration (production
 * adapters, with their AWS SDK clients). Called once per container.
 */
export function createEdgeContext(options: EdgeContextOptions): EdgeContext {
  const { config } = options;
  const secrets: SecretReader = options.secrets?.(config, options.tracer) ?? {
    json: () => Promise.reject(new ConfigError("this route has no access to secrets")),
  };
  const context: EdgeContext = {
    store: createDynamoDbStore({
      tableName: config.VETTID_TABLE_NAME,
      client: dynamoDbDocumentClient({ endpoint: config.VETTID_DYNAMODB_ENDPOINT, tracer: options.tracer }),
    }),
    now: () => Date.now(),
    natsServers: config.VETTID_NATS_URLS,
    manifestUrl: config.VETTID_MANIFEST_URL,
    jwtTtlSeconds: config.VETTID_JWT_TTL_SECONDS,
    deviceSigningKey: () => {
      const id = config.VETTID_NATS_DEVICE_SIGNING_SECRET_ID;
      if (!id) throw new ConfigError("VETTID_NATS_DEVICE_SIGNING_SECRET_ID is required");
      return secrets.json(id, DeviceSigningSecretSchema);
    },
  };
  return context;
}

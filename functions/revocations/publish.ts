import { Logger } from "@aws-lambda-powertools/logger";
import { ConfigError } from "../../lib/config";
import { type AccountClaimsPublisher, publishRevocations, revocationChanges } from "../../lib/nats-claims";
import { createDynamoDbStore, type EdgeStore } from "../../lib/store";
import { dynamoDbDocumentClient } from "../shared/aws-clients";
import { EDGE_NATS_TLS, type EdgeConfig, loadEdgeConfig } from "../shared/config";
import { OperatorSecretSchema, type SecretReader, secretReaderFromConfig } from "../shared/secrets";
import { edgeTracer } from "../shared/tracing";
import type { WorkerDefinition } from "../shared/worker";

/**
 * The revocation publisher: no route, no URL, no resource policy that lets anything but
 * its event source mapping invoke it. The mapping reads the edge table's stream, filtered
 * to the revocation item; each change re-signs the VettID account JWT with the recorded
 * revocations (the operator signing key, which no other function can read) and pushes it
 * as the system user. A failure throws, and the mapping retries the batch.
 */
export const worker: WorkerDefinition = {
  name: "revocations-publish",
  trigger: "revocations-stream",
  summary: "Re-sign the account JWT with the recorded revocations and push it to NATS",
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS", "VETTID_NATS_OPERATOR_SECRET_ID"],
};

/** What {@link createRevocationsHandler} needs. */
export interface RevocationsHandlerDeps {
  config: EdgeConfig;
  secrets: SecretReader;
  store: Pick<EdgeStore, "getRevocations">;
  /** Default: a NATS client, loaded on the first push. */
  publisher?: (systemUserCreds: string) => AccountClaimsPublisher;
  logger?: Logger;
  now?: () => number;
}

/** The outcome of one invocation (logged; Lambda ignores it). */
export interface RevocationsResult {
  published: boolean;
  revocations?: number;
}

/** The publisher's handler over its dependencies (the Lambda export builds them from the environment). */
export function createRevocationsHandler(deps: RevocationsHandlerDeps): (event: unknown) => Promise<RevocationsResult> {
  const logger = deps.logger ?? new Logger({ serviceName: `vettid-${worker.name}` });
  const operatorSecretId = deps.config.VETTID_NATS_OPERATOR_SECRET_ID;
  const publisher =
    deps.publisher ??
    ((systemUserCreds: string): AccountClaimsPublisher => ({
      async publish(accountJwt) {
        const { createNatsClaimsPublisher } = await import("../../lib/nats-claims/claims-publisher");
        await createNatsClaimsPublisher({
          servers: deps.config.VETTID_NATS_URLS,
          systemUserCreds,
          tls: EDGE_NATS_TLS,
        }).publish(accountJwt);
      },
    }));
  return async (event) => {
    if (!operatorSecretId) throw new ConfigError("VETTID_NATS_OPERATOR_SECRET_ID is required");
    const changes = revocationChanges(event);
    if (changes === 0) {
      logger.warn("event holds no change of the revocation list; nothing published");
      return { published: false };
    }
    try {
      const { revocations } = await publishRevocations({
        revocations: async () => (await deps.store.getRevocations()).revocations,
        issuer: () => deps.secrets.json(operatorSecretId, OperatorSecretSchema),
        publisher,
        now: deps.now ?? (() => Date.now()),
      });
      logger.info("account JWT published", { changes, revocations });
      return { published: true, revocations };
    } catch (err) {
      logger.error("account JWT not published; the stream retries", { error: err as Error });
      throw err;
    }
  };
}

let built: ((event: unknown) => Promise<RevocationsResult>) | undefined;
/** Its DynamoDB and Secrets Manager calls are X-Ray subsegments of Lambda's own segment (0065). */
const tracer = edgeTracer(`vettid-${worker.name}`);

/** The Lambda handler: dependencies built from the environment on the first invocation. */
export const handler = (event: unknown): Promise<RevocationsResult> => {
  if (!built) {
    const config = loadEdgeConfig();
    built = createRevocationsHandler({
      config,
      secrets: secretReaderFromConfig(config, tracer),
      store: createDynamoDbStore({
        tableName: config.VETTID_TABLE_NAME,
        client: dynamoDbDocumentClient({ endpoint: config.VETTID_DYNAMODB_ENDPOINT, tracer }),
      }),
    });
  }
  return built(event);
};

import { randomBytes } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createManifestSource } from "../../functions/manifest/source";
import { createRevocationsHandler } from "../../functions/revocations/publish";
import { FUNCTIONS } from "../../functions/routes";
import { loadEdgeConfig } from "../../functions/shared/config";
import { createEdgeContext } from "../../functions/shared/context";
import { buildHandler } from "../../functions/shared/handler";
import { secretReaderFromConfig } from "../../functions/shared/secrets";
import type { EdgeContext } from "../../lib/edge";
import type { NatsKeyHierarchy, NatsServerAuth } from "../../lib/nats-auth";
import { createEdgeTable, LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION, startDynalite } from "../aws/dynamodb";
import { type AwsJsonService, startAwsJsonServer } from "../aws/json-protocol";
import { createSecretsManagerStandIn } from "../aws/secrets-manager";
import { type LocalRoute, type RestAdapter, startRestAdapter } from "../rest";
import { type RevocationStream, startRevocationStream } from "./revocation-stream";

/**
 * Names of the secrets the local topology stores in the Secrets Manager stand-in: the
 * edge reads the scoped device signing key, the revocation publisher the operator one.
 */
export const LOCAL_SECRET_IDS = {
  deviceSigning: "vettid/local/nats-device-signing",
  operator: "vettid/local/nats-operator-signing",
} as const;
export const LOCAL_TABLE_NAME = "vettid-local";

/** Options of {@link startLocalEdge}. */
export interface LocalEdgeOptions {
  natsUrls: string[];
  keys: NatsKeyHierarchy;
  auth: NatsServerAuth;
  adminToken?: string;
  /** File or URL of the signed PCR manifest that GET /v1/pcr-manifest serves. */
  manifestSource?: string;
  /**
   * Endpoints of dynalite and the Secrets Manager stand-in already running (the
   * topology's supervised child processes). Absent: both are started in this process
   * (the edge's integration tests).
   */
  standIns?: { dynamodb: string; secretsManager: string };
  /** Further AWS JSON services on the same server as an in-process Secrets Manager. */
  awsServices?: AwsJsonService[];
  jwtTtlSeconds?: number;
  /** Fixed ports (0 = free); `dynamodb` and `secrets` only without `standIns`. */
  ports?: { rest?: number; dynamodb?: number; secrets?: number };
  /** Handler log level (default WARN: the launcher prints its own progress). */
  logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
}

/** The running REST edge of the local topology with its AWS stand-ins. */
export interface LocalEdge {
  rest: RestAdapter;
  /** dynalite (the edge table's DynamoDB). */
  dynamodb: { endpoint: string };
  /** The Secrets Manager stand-in (with any `awsServices`). */
  secrets: { endpoint: string };
  tableName: string;
  adminToken: string;
  /** The use cases' context, for tests that call lib/edge directly. */
  context: EdgeContext;
  /** The stand-in for the table stream that invokes the revocation publisher. */
  revocationStream: RevocationStream;
  stop(): Promise<void>;
}

/**
 * Starts dynalite and the Secrets Manager stand-in unless `standIns` names running
 * ones, creates the edge table and seeds the secrets with the device and operator
 * signing keys (through the SDK, as an operator's bootstrap would), starts the REST adapter serving every edge handler with the production
 * middleware stack and SDK clients pointed at the stand-ins, and the revocation
 * publisher behind a stand-in of the table's stream. The edge's configuration names
 * the device signing secret only, the publisher's the operator secret only, as in AWS.
 * Dev only.
 */
export async function startLocalEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  process.env.AWS_REGION ??= LOCAL_AWS_REGION;
  process.env.AWS_ACCESS_KEY_ID ??= LOCAL_AWS_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_AWS_CREDENTIALS.secretAccessKey;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    let dynamodb: { endpoint: string };
    let secrets: { endpoint: string };
    if (options.standIns) {
      dynamodb = { endpoint: options.standIns.dynamodb };
      secrets = { endpoint: options.standIns.secretsManager };
    } else {
      const db = await startDynalite(options.ports?.dynamodb ?? 0);
      stops.push(() => db.stop());
      const server = await startAwsJsonServer(
        [createSecretsManagerStandIn(), ...(options.awsServices ?? [])],
        options.ports?.secrets ?? 0,
      );
      stops.push(() => server.stop());
      dynamodb = db;
      secrets = server;
    }
    await Promise.all([
      createEdgeTable(dynamodb.endpoint, LOCAL_TABLE_NAME),
      seedSecrets(secrets.endpoint, {
        [LOCAL_SECRET_IDS.deviceSigning]: {
          accountPublicKey: options.keys.accountPublicKey,
          signingKeySeed: options.keys.deviceSigningSeed,
        },
        [LOCAL_SECRET_IDS.operator]: {
          operatorSigningKeySeed: options.keys.operatorSigningSeed,
          accountPublicKey: options.keys.accountPublicKey,
          accountSigningKeys: [options.keys.accountSigningPublicKey],
          deviceSigningKeys: [options.keys.deviceSigningPublicKey],
          enclaveSigningKeys: [options.keys.enclaveSigningPublicKey],
          systemUserCreds: options.auth.systemUserCreds,
        },
      }),
    ]);

    const adminToken = options.adminToken ?? randomBytes(24).toString("base64url");
    const common: Record<string, string> = {
      VETTID_ENV: "local",
      VETTID_TABLE_NAME: LOCAL_TABLE_NAME,
      VETTID_NATS_URLS: options.natsUrls.join(","),
      VETTID_DYNAMODB_ENDPOINT: dynamodb.endpoint,
      VETTID_SECRETS_ENDPOINT: secrets.endpoint,
    };
    const env: Record<string, string> = {
      ...common,
      VETTID_NATS_DEVICE_SIGNING_SECRET_ID: LOCAL_SECRET_IDS.deviceSigning,
      VETTID_ADMIN_TOKEN: adminToken,
    };
    if (options.jwtTtlSeconds) env.VETTID_JWT_TTL_SECONDS = String(options.jwtTtlSeconds);
    if (options.manifestSource) env.VETTID_MANIFEST_SOURCE = options.manifestSource;
    const config = loadEdgeConfig(env);
    const context = createEdgeContext({ config, secrets: secretReaderFromConfig });
    const manifest = createManifestSource(options.manifestSource);
    const logger = new Logger({ serviceName: "vettid-edge", logLevel: options.logLevel ?? "WARN" });
    // EMF lines on the launcher's stdout would only clutter the journey's output (dev only).
    process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
    const routes: LocalRoute[] = FUNCTIONS.map(({ route }) => {
      const ctx = route.name === "health-get" ? {} : route.name === "pcr-manifest-get" ? { manifest } : context;
      return {
        name: route.name,
        method: route.method,
        path: route.path,
        handler: buildHandler(route, { environment: "local", adminToken, logger, context: () => ctx }),
      };
    });
    const rest = await startRestAdapter(routes, options.ports?.rest ?? 0);
    stops.push(() => rest.stop());

    const publisherConfig = loadEdgeConfig({ ...common, VETTID_NATS_OPERATOR_SECRET_ID: LOCAL_SECRET_IDS.operator });
    const revocationStream = startRevocationStream({
      store: context.store,
      handler: createRevocationsHandler({
        config: publisherConfig,
        secrets: secretReaderFromConfig(publisherConfig),
        store: context.store,
        logger: new Logger({ serviceName: "vettid-revocations-publish", logLevel: options.logLevel ?? "WARN" }),
      }),
    });
    stops.push(() => revocationStream.stop());
    return {
      rest,
      dynamodb,
      secrets,
      tableName: LOCAL_TABLE_NAME,
      adminToken,
      context,
      revocationStream,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Creates each secret (`CreateSecret` with its JSON value) on the Secrets Manager at `endpoint`. */
async function seedSecrets(endpoint: string, values: Record<string, unknown>): Promise<void> {
  const client = new SecretsManagerClient({ endpoint, region: LOCAL_AWS_REGION, credentials: LOCAL_AWS_CREDENTIALS });
  try {
    for (const [name, value] of Object.entries(values)) {
      await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
    }
  } finally {
    client.destroy();
  }
}

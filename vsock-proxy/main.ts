/**
 * Entry point of the vsock proxy on a Nitro host: `npx tsx vsock-proxy/main.ts`
 * (or the bundled equivalent). Configuration from the environment (./config.ts);
 * SIGINT / SIGTERM drain in-flight work and exit 0. See vsock-proxy/README.md.
 */
import { readFileSync } from "node:fs";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { loadConfigOrExit } from "../lib/config";
import { unixSocketTransport } from "../lib/frame-link";
import { natsTlsOptions } from "../lib/nats-tls";
import { ActiveVaults } from "./active-vaults";
import { kmsTunnelTarget, natsTunnelTarget, type ProxyConfig, ProxyConfigSchema } from "./config";
import { startHealthServer } from "./health-server";
import { type Heartbeat, startHeartbeat } from "./heartbeat";
import { manifestSource } from "./manifest-source";
import { allVaults, staticServedVaults } from "./policy";
import { VsockProxy } from "./proxy";
import { sealedNatsKeyFile } from "./sealed-nats-key";
import { natsUpstream } from "./upstreams/nats";
import { s3BlobStore } from "./upstreams/s3";
import { attestationVerifier } from "./verifier";

/** How often stored metrics are flushed (EMF to stdout → CloudWatch agent): one minute, CloudWatch's resolution. */
const METRICS_FLUSH_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit(ProxyConfigSchema);
  const logger = new Logger({ serviceName: "vsock-proxy" });
  const metrics = new Metrics({
    namespace: config.VETTID_METRICS_NAMESPACE,
    serviceName: "vsock-proxy",
    ...(config.VETTID_AUTOSCALING_GROUP
      ? { defaultDimensions: { AutoScalingGroupName: config.VETTID_AUTOSCALING_GROUP } }
      : {}),
  });

  const releaseKeys = readFileSync(config.VETTID_MANIFEST_KEY_FILE, "utf8"); // the pinned release key set
  const loadManifest = manifestSource(
    config.VETTID_MANIFEST_URL ? { url: config.VETTID_MANIFEST_URL } : { file: config.VETTID_MANIFEST_FILE as string },
    releaseKeys,
    Date.now,
    {
      minSerial: config.VETTID_MANIFEST_MIN_SERIAL,
      // DEV ONLY: the local topology's launcher signs releases that activate at once.
      ...(config.VETTID_ENV === "local" ? { activationDelayMs: 0 } : {}),
    },
  );
  await loadManifest(); // fail at start, not at the first connection

  const awsHttp = { requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 } };
  const creds = await natsCredentials(config, awsHttp);
  const natsTls = natsTlsOptions(config.VETTID_NATS_URL, {
    ...(config.VETTID_NATS_CA_FILE ? { caPem: readFileSync(config.VETTID_NATS_CA_FILE, "utf8") } : {}),
    handshakeFirst: config.VETTID_NATS_TLS_FIRST,
  });
  if (!natsTls) logger.warn("DEV ONLY: plaintext NATS (nats:// URLs)");
  const nats = await connect({
    servers: config.VETTID_NATS_URL,
    ...(natsTls ? { tls: natsTls } : {}),
    name: "vsock-proxy",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    ...(creds ? { authenticator: credsAuthenticator(creds) } : {}),
  });
  const s3 = new S3Client({
    region: config.AWS_REGION,
    ...awsHttp,
    ...(config.VETTID_S3_ENDPOINT ? { endpoint: config.VETTID_S3_ENDPOINT, forcePathStyle: true } : {}),
  });
  const upstream = natsUpstream(nats);
  const roots = config.VETTID_ATTESTATION_ROOT_FILE
    ? [readFileSync(config.VETTID_ATTESTATION_ROOT_FILE, "utf8")]
    : undefined;
  if (roots) logger.warn("DEV ONLY: trusting a development attestation root");

  // what the heartbeat reports as vaultCount: the vaults the enclave owns by lease, as it
  // reports them; before its first report, vaults with a request in the last 15 minutes
  const activeVaults = new ActiveVaults();
  const natsTargets = natsTunnelTarget(config);
  const proxy = new VsockProxy({
    activeVaults,
    transport: unixSocketTransport(config.VETTID_PROXY_SOCKET),
    verifier: attestationVerifier({ ...(roots ? { trustedRoots: roots } : {}), manifest: loadManifest }),
    nats: upstream,
    // KMS is reached by the enclave itself, over TLS that ends inside it: the host only
    // forwards bytes to this one address and hands over the instance role's credentials.
    // So is the runtime's own NATS connection (the version witness and vault leases), to
    // whichever of the NATS nodes accepts.
    tunnels: { kms: kmsTunnelTarget(config), ...(natsTargets ? { nats: natsTargets } : {}) },
    credentials: () => s3.config.credentials(),
    ...(config.VETTID_RUNTIME_NATS_KEY_FILE ? { natsKey: sealedNatsKeyFile(config.VETTID_RUNTIME_NATS_KEY_FILE) } : {}),
    blob: s3BlobStore(s3, config.VETTID_BLOB_BUCKET),
    served: config.VETTID_PROXY_VAULTS.includes("*") ? allVaults : staticServedVaults(config.VETTID_PROXY_VAULTS),
    logger,
    metrics: {
      addMetric: (name, unit, value) => {
        // the enclave's own count of the vaults it owns is the heartbeat's vaultCount
        if (name === "enclave.OwnedVaults") activeVaults.reportOwned(value);
        metrics.addMetric(name, unit, value);
      },
      publishStoredMetrics: () => metrics.publishStoredMetrics(),
    },
  });
  await proxy.start();
  const health = await startHealthServer(() => proxy.health(), config.VETTID_PROXY_HEALTH_PORT);

  // The host registry: enrollment assigns new vaults to hosts that beat.
  let heartbeat: Heartbeat | undefined;
  let registry: DynamoDBDocumentClient | undefined;
  if (config.VETTID_HOST_ID && config.VETTID_TABLE_NAME) {
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: config.AWS_REGION,
        ...awsHttp,
        ...(config.VETTID_DYNAMODB_ENDPOINT ? { endpoint: config.VETTID_DYNAMODB_ENDPOINT } : {}),
      }),
    );
    registry = documents;
    heartbeat = startHeartbeat({
      send: async (update) => {
        await documents.send(new UpdateCommand(update));
      },
      tableName: config.VETTID_TABLE_NAME,
      hostId: config.VETTID_HOST_ID,
      instanceArn: config.VETTID_HOST_ARN,
      vaultCount: () => activeVaults.count(),
      logger,
    });
    await heartbeat.beat();
  }
  logger.info("vsock-proxy ready", {
    socket: config.VETTID_PROXY_SOCKET,
    health: health.url,
    hostId: config.VETTID_HOST_ID ?? null,
  });
  const flush = setInterval(() => {
    // One point per minute per host: 1 when an attested enclave is served (the fleet alarm sums these).
    metrics.addMetric("EnclaveHealthy", MetricUnit.Count, proxy.health().status === "ok" ? 1 : 0);
    metrics.publishStoredMetrics();
  }, METRICS_FLUSH_MS);
  flush.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("vsock-proxy stopping", { signal });
    clearInterval(flush);
    heartbeat?.stop();
    await proxy.stop(config.VETTID_PROXY_DRAIN_MS);
    await health.stop();
    await upstream.close();
    s3.destroy();
    registry?.destroy();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

/** The host's NATS credentials (creds file text) from a file or Secrets Manager, if configured. */
async function natsCredentials(config: ProxyConfig, http: object): Promise<Uint8Array | undefined> {
  if (config.VETTID_NATS_CREDS) return new Uint8Array(readFileSync(config.VETTID_NATS_CREDS));
  if (!config.VETTID_NATS_CREDENTIALS_SECRET_ID) return undefined;
  const client = new SecretsManagerClient({
    region: config.AWS_REGION,
    ...http,
    ...(config.VETTID_SECRETS_ENDPOINT ? { endpoint: config.VETTID_SECRETS_ENDPOINT } : {}),
  });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: config.VETTID_NATS_CREDENTIALS_SECRET_ID }));
    if (!out.SecretString) throw new Error("the NATS credentials secret has no string value");
    return new TextEncoder().encode(out.SecretString);
  } finally {
    client.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

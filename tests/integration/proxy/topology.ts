/**
 * A small real topology for proxy tests: a real nats-server, the KMS (over HTTPS with
 * a dev TLS CA) and S3 stand-ins over their AWS wire protocols, the simulated NSM with
 * a dev root, a signed and verified PCR manifest, the proxy with its production
 * upstream adapters, KMS tunnel and verifier, and an enclave-side ProxyClient that
 * attests with the simulated NSM and reaches KMS as the runtime does (vault-enclave/kms).
 */

import { Agent } from "node:https";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Transport, unixSocketTransport } from "../../../lib/frame-link";
import { type Manifest, type ReleaseKeySet, signManifest, verifyManifest } from "../../../lib/manifest";
import { ProxyClient } from "../../../lib/proxy-client";
import { type AwsStandIn, startAwsJsonServer } from "../../../local/aws/json-protocol";
import { attestationRecipientVerifier, createKmsService } from "../../../local/aws/kms";
import { createS3Store, type S3StandIn, startS3StandIn } from "../../../local/aws/s3";
import { sealingKeyPolicy } from "../../../local/launcher/sealed-state";
import { type NatsCluster, type NatsServer, startNatsServer } from "../../../local/nats";
import {
  createDevCa,
  createSimulatedNsm,
  type DevCa,
  devManifest,
  generateDevReleaseKeys,
  type SimulatedNsm,
} from "../../../local/nsm-sim";
import { createDevTls, type DevTls } from "../../../local/tls";
import { SealingKms, type SealingKmsOptions } from "../../../vault-enclave/kms";
import { staticServedVaults } from "../../../vsock-proxy/policy";
import { VsockProxy, type VsockProxyOptions } from "../../../vsock-proxy/proxy";
import { natsUpstream } from "../../../vsock-proxy/upstreams/nats";
import { s3BlobStore } from "../../../vsock-proxy/upstreams/s3";
import type { NatsUpstream } from "../../../vsock-proxy/upstreams/types";
import { attestationVerifier } from "../../../vsock-proxy/verifier";
import { recordingLogger, recordingMetrics, socketPath } from "../../unit/proxy/fakes";

export const VAULT = "vlt_000000000000000000000000000000aa";
export const BUCKET = "vettid-sealed-state";
/** The name on the KMS stand-in's certificate, which the enclave side pins. */
export const KMS_NAME = "kms.vettid-test.test";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString("hex");

/** A manifest approving `nsm`'s PCRs, signed and then verified like a real one. */
export async function manifestFor(nsm: SimulatedNsm): Promise<Manifest> {
  const signed = await signedManifestFor(nsm);
  return verifyManifest(signed.text, { keys: signed.keys, activationDelayMs: 0 });
}

/** The signed manifest text (general JWS, 2 of 2 dev keys) approving `nsm`'s PCRs, and the key set. */
export async function signedManifestFor(nsm: SimulatedNsm): Promise<{ text: string; keys: ReleaseKeySet }> {
  const keys = await generateDevReleaseKeys();
  const text = await signManifest(devManifest(nsm.pcrs, { id: "test-1", keys: keys.set }), keys.privateKeys);
  return { text, keys: keys.set };
}

export interface ProxyTopology {
  nats: NatsServer;
  kms: {
    standIn: AwsStandIn;
    /** The sealing key's ARN (what a measured configuration pins). */
    keyId: string;
    /** The dev TLS CA and server certificate of the stand-in. */
    tls: DevTls;
    restart(): Promise<void>;
    stop(): Promise<void>;
  };
  s3: S3StandIn;
  nsm: SimulatedNsm;
  /** The dev CA behind `nsm` (to make other simulated enclaves under the same root). */
  ca: DevCa;
  /** The verified manifest approving `nsm`'s PCRs (what a device checks a document against). */
  manifest: Manifest;
  proxy: VsockProxy;
  proxyOptions: VsockProxyOptions;
  client: ProxyClient;
  /** The transport the enclave side connects through (tests may wrap it). */
  enclaveTransport: Transport;
  /**
   * The enclave side's KMS client, as the runtime builds it from its measured
   * configuration (this stand-in's name, key and dev CA), over the proxy's tunnel.
   */
  sealingKms(overrides?: Partial<SealingKmsOptions>): SealingKms;
  /** A device-side NATS connection with the inbox of `deviceId` (default `dev-1`). */
  device(deviceId?: string): Promise<NatsConnection>;
  restartProxy(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startProxyTopology}. */
export interface TopologyOptions {
  /** Wraps the enclave-side transport (e.g. to tap its bytes). */
  wrapEnclaveTransport?: (transport: Transport) => Transport;
  /** PCRs for the simulated NSM (default: derived from an empty bundle). */
  pcrs?: Record<number, Uint8Array>;
  /** Start the enclave-side client (default true). */
  startClient?: boolean;
  /** Vaults the proxy serves (default [{@link VAULT}]). */
  vaults?: string[];
  /**
   * A NATS cluster to use instead of a server of its own (the caller stops it). The
   * proxy connects to its nodes in the order given, so it lands on the first; devices
   * to the last first.
   */
  cluster?: NatsCluster;
}

/** Starts the whole topology; call `stop()` in `afterAll`. */
export async function startProxyTopology(options: TopologyOptions = {}): Promise<ProxyTopology> {
  const nats = options.cluster?.servers[0] ?? (await startNatsServer({ jetstream: false }));
  const proxyServers = options.cluster?.urls ?? [nats.url];
  const deviceServers = [...proxyServers].reverse();
  const ca = await createDevCa();
  const nsm = await createSimulatedNsm({ environment: "local", ca, ...(options.pcrs ? { pcrs: options.pcrs } : {}) });
  const manifest = await manifestFor(nsm);

  const kmsService = createKmsService({
    environment: "local",
    verifyRecipient: attestationRecipientVerifier([nsm.rootCertificatePem]),
  });
  const kmsTls = await createDevTls({ dns: [KMS_NAME], ipv4: ["127.0.0.1"] });
  let kmsStandIn = await startAwsJsonServer([kmsService], 0, kmsTls);
  const kmsPort = kmsStandIn.port;
  const kmsClient = new KMSClient({
    endpoint: kmsStandIn.endpoint,
    region: "us-east-1",
    credentials,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000, httpsAgent: new Agent({ ca: kmsTls.caPem }) },
  });
  const created = await kmsClient.send(new CreateKeyCommand({ Policy: sealingKeyPolicy(hex(nsm.pcrs[0])) }));
  const keyId = created.KeyMetadata?.Arn as string;

  const s3 = await startS3StandIn({ environment: "local", store: createS3Store() });
  const s3Client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    credentials,
    forcePathStyle: true,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
  await s3Client.send(new CreateBucketCommand({ Bucket: BUCKET }));

  const natsConnection = await connect({
    servers: proxyServers,
    noRandomize: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
    name: "vsock-proxy",
  });
  const upstream: NatsUpstream = natsUpstream(natsConnection);

  const path = socketPath("enclave");
  const proxyOptions: VsockProxyOptions = {
    transport: unixSocketTransport(path),
    verifier: attestationVerifier({ trustedRoots: [nsm.rootCertificatePem], manifest: () => manifest }),
    nats: upstream,
    tunnels: { kms: { host: "127.0.0.1", port: kmsPort } },
    credentials: async () => credentials,
    blob: s3BlobStore(s3Client, BUCKET),
    served: staticServedVaults(options.vaults ?? [VAULT]),
    logger: recordingLogger(),
    metrics: recordingMetrics(),
  };
  let proxy = new VsockProxy(proxyOptions);
  await proxy.start();

  const baseTransport = unixSocketTransport(path);
  const enclaveTransport = options.wrapEnclaveTransport ? options.wrapEnclaveTransport(baseTransport) : baseTransport;
  const client = new ProxyClient({
    transport: enclaveTransport,
    attest: (request) => nsm.attest(request),
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    readyTimeoutMs: 5_000,
  });
  if (options.startClient ?? true) {
    client.start();
    await client.ready(10_000);
  }

  const devices: NatsConnection[] = [];
  const sealingClients: SealingKms[] = [];
  const topology: ProxyTopology = {
    nats,
    kms: {
      get standIn() {
        return kmsStandIn;
      },
      keyId,
      tls: kmsTls,
      async restart() {
        await kmsStandIn.stop();
        kmsStandIn = await startAwsJsonServer([kmsService], kmsPort, kmsTls);
      },
      stop: () => kmsStandIn.stop(),
    },
    s3,
    nsm,
    ca,
    manifest,
    get proxy() {
      return proxy;
    },
    proxyOptions,
    client,
    enclaveTransport,
    sealingKms(overrides = {}) {
      const kms = new SealingKms({
        region: "us-east-1",
        endpointName: KMS_NAME,
        keyArn: keyId,
        trustRoots: [kmsTls.caPem],
        openTunnel: () => client.tunnel.open("kms"),
        credentials: () => client.awsCredentials(),
        nsm,
        ...overrides,
      });
      sealingClients.push(kms);
      return kms;
    },
    async device(deviceId = "dev-1") {
      const nc = await connect({
        servers: deviceServers,
        noRandomize: true,
        inboxPrefix: `vettid.v1.inbox.${deviceId}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 100,
      });
      devices.push(nc);
      return nc;
    },
    async restartProxy() {
      await proxy.stop(1_000);
      proxy = new VsockProxy(proxyOptions);
      await proxy.start();
    },
    async stop() {
      for (const kms of sealingClients) kms.destroy();
      await client.close(1_000);
      await proxy.stop(1_000);
      await Promise.all(devices.map((d) => d.close()));
      await upstream.close();
      kmsClient.destroy();
      s3Client.destroy();
      await kmsStandIn.stop();
      await s3.stop();
      if (!options.cluster) await nats.stop();
    },
  };
  return topology;
}

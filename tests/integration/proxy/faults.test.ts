/**
 * Fault injection during traffic: the proxy process is SIGKILLed and restarted, the
 * nats-server restarted, the KMS stand-in stopped and started again. The enclave
 * side must reconnect by itself, fail in-flight work with typed retryable errors,
 * and never leave a half-written blob.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { isVettidError, VettidError } from "../../../lib/errors";
import { unixSocketTransport } from "../../../lib/frame-link";
import { ProxyClient } from "../../../lib/proxy-client";
import { blobKey } from "../../../lib/proxy-protocol";
import { vaultRequestSubject, vaultRequestWildcard } from "../../../lib/subjects";
import { type AwsStandIn, startAwsJsonServer } from "../../../local/aws/json-protocol";
import { attestationRecipientVerifier, createKmsService } from "../../../local/aws/kms";
import { type S3StandIn, startS3StandIn } from "../../../local/aws/s3";
import { sealingKeyPolicy } from "../../../local/launcher/sealed-state";
import { freePort, type NatsServer, startNatsServer } from "../../../local/nats";
import { createSimulatedNsm, type SimulatedNsm } from "../../../local/nsm-sim";
import { createDevTls, type DevTls } from "../../../local/tls";
import { SealingKms } from "../../../vault-enclave/kms";
import { BUCKET, KMS_NAME, signedManifestFor, VAULT } from "./topology";

const RETRYABLE = ["CHANNEL_CLOSED", "UNAVAILABLE", "TIMEOUT", "OVERLOADED"];
const BLOB_BYTES = 64 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ProxyProcess {
  child: ChildProcess;
  healthUrl: string;
}

describe("faults during traffic", () => {
  let nats: NatsServer;
  let nsm: SimulatedNsm;
  let kmsStandIn: AwsStandIn;
  let kmsPort: number;
  let kmsService: ReturnType<typeof createKmsService>;
  let kmsTls: DevTls;
  let sealing: SealingKms;
  let s3: S3StandIn;
  let keyId: string;
  let env: Record<string, string>;
  let proxy: ProxyProcess | undefined;
  let client: ProxyClient;
  let device: NatsConnection;

  async function startProxy(): Promise<ProxyProcess> {
    const healthPort = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "../../../vsock-proxy/main.ts")], {
      env: { ...process.env, ...env, VETTID_PROXY_HEALTH_PORT: String(healthPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`proxy not ready:\n${output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("vsock-proxy ready")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`proxy exited with ${code}:\n${output}`));
      });
    });
    child.stdout?.resume();
    child.stderr?.resume();
    return { child, healthUrl: `http://127.0.0.1:${healthPort}` };
  }

  function killProxy(): Promise<void> {
    const current = proxy;
    proxy = undefined;
    if (!current || current.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      current.child.once("exit", () => resolve());
      current.child.kill("SIGKILL");
    });
  }

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: false });
    nsm = await createSimulatedNsm({ environment: "local" });
    kmsService = createKmsService({
      environment: "local",
      verifyRecipient: attestationRecipientVerifier([nsm.rootCertificatePem]),
    });
    kmsTls = await createDevTls({ dns: [KMS_NAME], ipv4: ["127.0.0.1"] });
    kmsStandIn = await startAwsJsonServer([kmsService], 0, kmsTls);
    kmsPort = kmsStandIn.port;
    const credentials = { accessKeyId: "local", secretAccessKey: "local" };
    const kms = new KMSClient({
      endpoint: kmsStandIn.endpoint,
      region: "us-east-1",
      credentials,
      requestHandler: { httpsAgent: new Agent({ ca: kmsTls.caPem }) },
    });
    const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString("hex");
    keyId = (await kms.send(new CreateKeyCommand({ Policy: sealingKeyPolicy(hex(nsm.pcrs[0])) }))).KeyMetadata
      ?.Arn as string;
    kms.destroy();
    s3 = await startS3StandIn({ environment: "local" });
    const s3Client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", credentials, forcePathStyle: true });
    await s3Client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3Client.destroy();

    const dir = mkdtempSync(join(tmpdir(), "vp-faults-"));
    const manifest = await signedManifestFor(nsm);
    writeFileSync(join(dir, "manifest.json"), manifest.text);
    writeFileSync(join(dir, "manifest-key.json"), JSON.stringify(manifest.keys));
    writeFileSync(join(dir, "root.pem"), nsm.rootCertificatePem);
    const socket = join(dir, "enclave.sock");
    env = {
      VETTID_ENV: "local",
      VETTID_PROXY_SOCKET: socket,
      VETTID_NATS_URL: nats.url,
      VETTID_PROXY_VAULTS: VAULT,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      VETTID_BLOB_BUCKET: BUCKET,
      VETTID_S3_ENDPOINT: s3.endpoint,
      VETTID_KMS_TUNNEL_TARGET: `127.0.0.1:${kmsPort}`,
      VETTID_MANIFEST_FILE: join(dir, "manifest.json"),
      VETTID_MANIFEST_KEY_FILE: join(dir, "manifest-key.json"),
      VETTID_ATTESTATION_ROOT_FILE: join(dir, "root.pem"),
      VETTID_PROXY_DRAIN_MS: "1000",
      POWERTOOLS_LOG_LEVEL: "INFO",
    };
    proxy = await startProxy();

    client = new ProxyClient({
      transport: unixSocketTransport(socket),
      attest: (request) => nsm.attest(request),
      reconnect: { initialDelayMs: 20, maxDelayMs: 250 },
      readyTimeoutMs: 5_000,
      link: { requestTimeoutMs: 5_000 },
    });
    client.start();
    await client.ready(20_000);
    sealing = new SealingKms({
      region: "us-east-1",
      endpointName: KMS_NAME,
      keyArn: keyId,
      trustRoots: [kmsTls.caPem],
      openTunnel: () => client.tunnel.open("kms"),
      credentials: () => client.awsCredentials(),
      nsm,
    });
    await client.nats.subscribe(vaultRequestWildcard(VAULT), (msg) => client.nats.respond(msg.reply, msg.data));
    device = await connect({
      servers: nats.url,
      inboxPrefix: "vettid.v1.inbox.dev-1",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
  }, 120_000);

  afterAll(async () => {
    sealing?.destroy();
    await client?.close(500);
    await killProxy();
    await device?.close();
    await kmsStandIn?.stop();
    await s3?.stop();
    await nats?.stop();
  });

  /**
   * Runs writers (conditional blob chains), KMS callers and device requesters until
   * `stop` resolves; returns every enclave-side error seen.
   */
  async function traffic(stop: Promise<void>): Promise<{ errors: unknown[]; acked: Map<string, number> }> {
    let done = false;
    void stop.then(() => {
      done = true;
    });
    const errors: unknown[] = [];
    const acked = new Map<string, number>();
    const writer = async (w: number) => {
      const key = blobKey(VAULT, `writer-${w}`);
      let version: string | null = (await client.blob.get(key).catch(() => undefined))?.version ?? null;
      for (let i = 1; !done; i += 1) {
        try {
          version = await client.blob.put(key, new Uint8Array(BLOB_BYTES).fill(i % 256), version);
          acked.set(key, i % 256);
        } catch (err) {
          errors.push(err);
          await client.ready(20_000).catch(() => {});
          version = (await client.blob.get(key).catch(() => undefined))?.version ?? version;
        }
      }
    };
    const kmsCaller = async () => {
      while (!done) {
        try {
          await sealing.generateDataKey({ vault: VAULT });
        } catch (err) {
          errors.push(err);
          await sleep(20);
        }
      }
    };
    const requester = async () => {
      while (!done) {
        await device
          .request(vaultRequestSubject(VAULT, "dev-1"), new Uint8Array([1]), { timeout: 500 })
          .catch(() => sleep(20));
      }
    };
    await Promise.all([writer(0), writer(1), kmsCaller(), requester(), requester()]);
    return { errors, acked };
  }

  async function expectWholeBlobs(acked: Map<string, number>): Promise<void> {
    await client.ready(20_000);
    for (const [key, lastAcked] of acked) {
      const object = await client.blob.get(key);
      expect(object?.data.length).toBe(BLOB_BYTES);
      const first = object?.data[0] as number;
      expect(object?.data.every((b) => b === first)).toBe(true);
      // the stored value is the last acknowledged write or the one in flight after it
      expect([lastAcked, (lastAcked + 1) % 256]).toContain(first);
    }
  }

  function expectRetryable(errors: unknown[]): void {
    for (const err of errors) {
      expect(err).toBeInstanceOf(VettidError);
      expect(RETRYABLE).toContain((err as VettidError).code);
      expect(isVettidError(err) && err.retryable).toBe(true);
    }
  }

  async function echoWorks(): Promise<void> {
    const reply = await device.request(vaultRequestSubject(VAULT, "dev-1"), new Uint8Array([42]), { timeout: 5_000 });
    expect(reply.data).toEqual(new Uint8Array([42]));
  }

  it("reports health with counters on loopback", async () => {
    const response = await fetch(`${proxy?.healthUrl}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { counters: Record<string, number>; enclaves: { attested: number } };
    expect(body.enclaves.attested).toBe(1);
    for (const name of ["framesIn", "framesOut", "bytesIn", "bytesOut", "errors", "inFlight", "reconnects"]) {
      expect(typeof body.counters[name]).toBe("number");
    }
  });

  it("survives the proxy being SIGKILLed and restarted", async () => {
    const reconnectsBefore = client.reconnects;
    const fault = (async () => {
      await sleep(400);
      await killProxy();
      await sleep(300);
      proxy = await startProxy();
      await client.ready(20_000);
      await sleep(300);
    })();
    const { errors, acked } = await traffic(fault);
    expect(client.reconnects).toBeGreaterThan(reconnectsBefore);
    expect(errors.length).toBeGreaterThan(0);
    expectRetryable(errors);
    await expectWholeBlobs(acked);
    await echoWorks();
  }, 120_000);

  it("survives the nats-server restarting", async () => {
    const fault = (async () => {
      await sleep(300);
      await nats.restart();
      await sleep(800);
    })();
    const { errors, acked } = await traffic(fault);
    expectRetryable(errors);
    await expectWholeBlobs(acked);
    // the proxy's NATS client re-subscribed by itself: a device reaches the enclave again
    for (let attempt = 0; ; attempt += 1) {
      try {
        await echoWorks();
        break;
      } catch (err) {
        if (attempt > 50) throw err;
        await sleep(100);
      }
    }
    await expect(
      client.nats.natsRequest(`vettid.v1.vault.${VAULT}.evt.all`, new Uint8Array([1]), 200),
    ).rejects.toMatchObject({ retryable: true });
  }, 120_000);

  it("survives the KMS stand-in stopping and starting again", async () => {
    const before = await sealing.generateDataKey({ vault: VAULT });
    await kmsStandIn.stop();
    const during = await sealing.generateDataKey({ vault: VAULT }).catch((err: unknown) => err);
    expectRetryable([during]);
    expect(during).toMatchObject({ code: "UNAVAILABLE" });
    kmsStandIn = await startAwsJsonServer([kmsService], kmsPort, kmsTls);
    const again = await sealing.decrypt(before.ciphertextBlob, { vault: VAULT });
    expect(Buffer.from(again).equals(Buffer.from(before.plaintext))).toBe(true);
    const fault = (async () => {
      await sleep(200);
      await kmsStandIn.stop();
      await sleep(300);
      kmsStandIn = await startAwsJsonServer([kmsService], kmsPort, kmsTls);
      await sleep(300);
    })();
    const { errors, acked } = await traffic(fault);
    expectRetryable(errors);
    await expectWholeBlobs(acked);
  }, 120_000);
});

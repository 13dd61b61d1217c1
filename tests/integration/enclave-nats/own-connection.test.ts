/**
 * The runtime's own NATS connection end to end (decision 0072): the real proxy hands an
 * attested enclave the sealed runtime signing key, the enclave opens it with KMS
 * (Recipient, through its own TLS), signs its own scoped user JWT, and connects through
 * the proxy's `nats` tunnel with TLS to an operator-mode nats-server with JetStream; the
 * version witness is written there. The host relays bytes it cannot read, and a sealed
 * key of any other signing key, or a vault's ciphertext, opens nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { jetstreamManager } from "@nats-io/jetstream";
import { Algorithms, encodeUser, fromSeed } from "@nats-io/jwt";
import { Kvm } from "@nats-io/kv";
import { createAccount, createUser } from "@nats-io/nkeys";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import {
  generateNatsKeyHierarchy,
  issueNatsServerAuth,
  LEASE_BUCKET,
  type NatsKeyHierarchy,
  WITNESS_BUCKET,
} from "../../../lib/nats-auth";
import { RUNTIME_NATS_KEY_CONTEXT } from "../../../lib/runtime-config";
import { type NatsServer, startNatsServer } from "../../../local/nats";
import { createDevCa, issueDevCertificate } from "../../../local/tls";
import type { SealingKms } from "../../../vault-enclave/kms";
import { openSealedNatsKey } from "../../../vault-enclave/nats/runtime-credentials";
import { connectOwnNats, type OwnNats } from "../../../vault-enclave/runtime/own-nats";
import { syncStreamConfig } from "../../../vault-enclave/sync/jetstream-change-log";
import { type ProxyTopology, startProxyTopology, VAULT } from "../proxy/topology";

const SERVER_NAME = "nats.vettid.test";
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A TCP relay in front of the NATS node, recording every byte the host forwards. */
async function recordingRelay(targetPort: number): Promise<{ server: Server; port: number; bytes(): Buffer }> {
  const seen: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = tcpConnect(targetPort, "127.0.0.1");
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.once("close", () => sockets.delete(s));
    }
    inbound.on("data", (chunk: Buffer) => {
      seen.push(Buffer.from(chunk));
      outbound.write(chunk);
    });
    outbound.on("data", (chunk: Buffer) => {
      seen.push(Buffer.from(chunk));
      inbound.write(chunk);
    });
    inbound.once("close", () => outbound.destroy());
    outbound.once("close", () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as typeof server.close;
  return { server, port: (server.address() as { port: number }).port, bytes: () => Buffer.concat(seen) };
}

describe("the runtime's own NATS connection through the real proxy", () => {
  let dir: string;
  let keys: NatsKeyHierarchy;
  let nats: NatsServer;
  let relay: Awaited<ReturnType<typeof recordingRelay>>;
  let t: ProxyTopology;
  let kms: KMSClient;
  let sealing: SealingKms;
  let caPem: string;
  let sealedKey: Uint8Array;
  /** What the host hands the enclave as its sealed key (a test may swap it). */
  let handed: Uint8Array;
  let own: OwnNats | undefined;
  let admin: NatsConnection;
  const logged: string[] = [];

  async function seal(plaintext: string, context: Record<string, string>): Promise<Uint8Array> {
    const out = await kms.send(
      new EncryptCommand({
        KeyId: t.kms.keyId,
        Plaintext: new TextEncoder().encode(plaintext),
        EncryptionContext: context,
      }),
    );
    return out.CiphertextBlob as Uint8Array;
  }

  const settings = () => ({
    servername: SERVER_NAME,
    caPem,
    handshakeFirst: false,
    accountPublicKey: keys.accountPublicKey,
    signingPublicKey: keys.enclaveSigningPublicKey,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vettid-own-nats-"));
    keys = generateNatsKeyHierarchy();
    const auth = await issueNatsServerAuth(keys);
    const ca = await createDevCa("vettid-test-nats-ca");
    caPem = ca.pem;
    const cert = await issueDevCertificate(ca, { dns: [SERVER_NAME, "localhost"], usage: ["serverAuth"] });
    writeFileSync(join(dir, "server.pem"), cert.certPem);
    writeFileSync(join(dir, "server-key.pem"), cert.keyPem, { mode: 0o600 });
    nats = await startNatsServer({
      dir,
      extraConfig: [
        `operator: ${JSON.stringify(auth.operatorJwt)}`,
        `system_account: ${JSON.stringify(keys.systemAccountPublicKey)}`,
        "resolver: MEMORY",
        "resolver_preload: {",
        `  ${keys.systemAccountPublicKey}: ${JSON.stringify(auth.systemAccountJwt)}`,
        `  ${keys.accountPublicKey}: ${JSON.stringify(auth.accountJwt)}`,
        "}",
        `tls {\n  cert_file: ${JSON.stringify(join(dir, "server.pem"))}\n  key_file: ${JSON.stringify(join(dir, "server-key.pem"))}\n}`,
      ].join("\n"),
    });
    // The deployment provisions the buckets and the change log stream; here an operator-side user with the unscoped key does.
    const adminUser = createUser();
    const adminJwt = await encodeUser(
      "provisioner",
      adminUser,
      keys.accountPublicKey,
      { pub: { allow: [">"] }, sub: { allow: [">"] } },
      { algorithm: Algorithms.v2, signer: fromSeed(new TextEncoder().encode(keys.accountSigningSeed)) },
    );
    admin = await connect({
      servers: `tls://localhost:${nats.port}`,
      tls: { ca: caPem },
      authenticator: jwtAuthenticator(adminJwt, adminUser.getSeed()),
    });
    const kvm = new Kvm(admin);
    await kvm.create(WITNESS_BUCKET, { history: 1 });
    await kvm.create(LEASE_BUCKET, { history: 1 });
    await (await jetstreamManager(admin)).streams.add(syncStreamConfig(1));

    relay = await recordingRelay(nats.port);
    t = await startProxyTopology();
    kms = new KMSClient({
      endpoint: t.kms.standIn.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      requestHandler: { httpsAgent: new Agent({ ca: t.kms.tls.caPem }) },
    });
    sealedKey = await seal(keys.enclaveSigningSeed, { ...RUNTIME_NATS_KEY_CONTEXT });
    handed = sealedKey;
    t.proxyOptions.tunnels.nats = { host: "127.0.0.1", port: relay.port };
    t.proxyOptions.natsKey = async () => handed;
    await t.restartProxy();
    await t.client.ready(20_000);
    sealing = t.sealingKms();
  }, 120_000);

  afterAll(async () => {
    await own?.close();
    await admin?.close();
    kms?.destroy();
    await t?.stop();
    await new Promise((r) => relay?.server.close(() => r(undefined)));
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects with a JWT it signed itself and keeps the version witness, the host seeing only ciphertext", async () => {
    // Act
    own = await connectOwnNats({
      settings: settings(),
      openTunnel: () => t.client.tunnel.open("nats"),
      sealedKey: {
        ciphertext: () => t.client.natsKeyCiphertext(),
        decrypt: (ciphertext, context, bytes) => sealing.decrypt(ciphertext, context, bytes),
      },
      log: (_level, message) => logged.push(message),
      retryMs: 200,
      runtimeId: "0123456789abcdef0123456789abcdef",
    });
    const revision = await own.witness.record(
      { vaultId: VAULT, stateVersion: 7, failures: 2, recoveryFailures: 0, stateDigest: new Uint8Array(32).fill(7) },
      null,
    );
    const read = await own.witness.read(VAULT);
    const stored = await (await new Kvm(admin).open(WITNESS_BUCKET)).get(VAULT);

    // Assess
    expect(read).toEqual({
      record: {
        vaultId: VAULT,
        stateVersion: 7,
        failures: 2,
        recoveryFailures: 0,
        stateDigest: new Uint8Array(32).fill(7),
      },
      revision,
    });
    expect(stored?.revision).toBe(revision);
    expect(own.identity.name).toMatch(/^rt_[0-9a-f]{32}$/);
    const seen = relay.bytes();
    expect(seen.length).toBeGreaterThan(0);
    const afterInfo = seen.subarray(seen.indexOf("\r\n") + 2).toString("latin1");
    for (const secret of ["CONNECT", WITNESS_BUCKET, VAULT, own.identity.name, keys.enclaveSigningPublicKey]) {
      expect(afterInfo).not.toContain(secret);
    }
    expect(logged).toContain("own NATS connection ready");
  });

  it("is granted the runtime template only: no other bucket, no device subject", async () => {
    const connection = own?.connection as NatsConnection;
    const kvm = new Kvm(connection);
    await expect(kvm.create("some-other-bucket")).rejects.toThrow();
    const errors: unknown[] = [];
    const status = (async () => {
      for await (const s of connection.status()) if (s.type === "error") errors.push(s);
    })();
    connection.publish(`vettid.v1.vault.${VAULT}.req.dev-1`, new Uint8Array([1]));
    await connection.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(errors).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({
          name: "PermissionViolationError",
          operation: "publish",
          subject: `vettid.v1.vault.${VAULT}.req.dev-1`,
        }),
      }),
    ]);
    void status;
  });

  it("refuses a sealed key of another signing key, and a vault's ciphertext handed over in its place", async () => {
    // Prepare: the host hands over a seed it made itself, sealed under the right context
    const impostor = await seal(text(createAccount().getSeed()), { ...RUNTIME_NATS_KEY_CONTEXT });
    const vaultBlob = await seal(keys.enclaveSigningSeed, { vault: VAULT });
    const handOver = (key: Uint8Array) => {
      handed = key;
    };
    const source = {
      ciphertext: () => t.client.natsKeyCiphertext(),
      decrypt: (ciphertext: Uint8Array, context: Record<string, string>, bytes: number) =>
        sealing.decrypt(ciphertext, context, bytes),
      signingPublicKey: keys.enclaveSigningPublicKey,
      accountPublicKey: keys.accountPublicKey,
    };

    // Act
    handOver(impostor);
    const otherKey = openSealedNatsKey(source).catch((err: unknown) => err);
    const otherOutcome = await otherKey;
    handOver(vaultBlob);
    const vaultOutcome = await openSealedNatsKey(source).catch((err: unknown) => err);
    handOver(sealedKey);
    const genuine = await openSealedNatsKey(source);

    // Assess
    expect(otherOutcome).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/not the measured/) });
    expect(vaultOutcome).toBeInstanceOf(Error);
    expect(vaultOutcome).not.toHaveProperty("code", "FORBIDDEN");
    expect(genuine).toBe(keys.enclaveSigningSeed);
  });
});

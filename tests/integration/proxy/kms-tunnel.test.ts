/**
 * The host cannot forge KMS (DESIGN.md §3.2): the enclave side reaches KMS over TLS
 * that ends on its side of the proxy's byte tunnel, trusting only the roots of its
 * measured configuration. Each test plays a hostile host that points the tunnel at a
 * server of its own, or a KMS endpoint that answers what a Recipient call must not get.
 */
import { createServer as createTcpServer, type Server } from "node:net";
import { verifyAttestation } from "../../../lib/attestation";
import { createEnvelopedData } from "../../../lib/cms";
import { type AwsJsonInput, startAwsJsonServer } from "../../../local/aws/json-protocol";
import { createDevTls } from "../../../local/tls";
import { KMS_NAME, type ProxyTopology, startProxyTopology, VAULT } from "./topology";

/** The key a hostile host would like the vault to seal with. */
const HOST_CHOSEN_KEY = Buffer.alloc(32, 0x41);

describe("KMS over TLS that ends inside the enclave (hostile host)", () => {
  let t: ProxyTopology;
  const servers: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    t = await startProxyTopology();
  });
  afterEach(() => {
    // Point the tunnel back at the real stand-in.
    t.proxyOptions.tunnels.kms = { host: "127.0.0.1", port: t.kms.standIn.port };
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await t?.stop();
  });

  /** The Recipient's public key, read as the host can: the document is public and verifiable. */
  async function recipientKeyOf(input: AwsJsonInput): Promise<Uint8Array> {
    const document = Buffer.from(
      String((input.Recipient as { AttestationDocument: string }).AttestationDocument),
      "base64",
    );
    const verified = await verifyAttestation(new Uint8Array(document), { trustedRoots: [t.nsm.rootCertificatePem] });
    return verified.publicKey as Uint8Array;
  }

  /**
   * A KMS lookalike that answers GenerateDataKey with `answer(input)`; `requests`
   * counts the calls that reached it in clear (past any TLS handshake).
   */
  async function lookalike(
    tls: { certPem: string; keyPem: string },
    answer: (input: AwsJsonInput) => Promise<Record<string, unknown>>,
  ): Promise<{ port: number; readonly requests: number }> {
    const counter = { requests: 0 };
    const server = await startAwsJsonServer(
      [
        {
          targetPrefix: "TrentService",
          operations: {
            GenerateDataKey: async (input) => {
              counter.requests += 1;
              return answer(input);
            },
          },
        },
      ],
      0,
      tls,
    );
    servers.push(server);
    return {
      port: server.port,
      get requests() {
        return counter.requests;
      },
    };
  }

  /** The forgery the review reproduced: an EnvelopedData of the host's own, around a key it chose. */
  const forgedAnswer = async (input: AwsJsonInput) => ({
    KeyId: t.kms.keyId,
    CiphertextBlob: Buffer.alloc(64, 1).toString("base64"),
    CiphertextForRecipient: Buffer.from(createEnvelopedData(await recipientKeyOf(input), HOST_CHOSEN_KEY)).toString(
      "base64",
    ),
  });

  it("refuses a host that answers with an EnvelopedData of its own behind a certificate of another CA", async () => {
    // Prepare: the host makes its own CA and a certificate for the KMS name.
    const hostTls = await createDevTls({ dns: [KMS_NAME], ipv4: ["127.0.0.1"] });
    const hostile = await lookalike(hostTls, forgedAnswer);
    t.proxyOptions.tunnels.kms = { host: "127.0.0.1", port: hostile.port };

    // Act
    const attempt = t.sealingKms({ maxAttempts: 1 }).generateDataKey({ vault: VAULT });

    // Assess: the TLS session fails on the enclave side, before a request is sent in clear.
    await expect(attempt).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(hostile.requests).toBe(0);
  });

  it("refuses a certificate from a trusted CA for another name", async () => {
    // Prepare: a genuine certificate of the trusted CA, but not for the pinned KMS name
    // (what a host holding some other valid certificate could present).
    const otherName = await createDevTls({ dns: ["evil.vettid-test.test"] });
    const trusted = { certPem: otherName.certPem, keyPem: otherName.keyPem };
    const hostile = await lookalike(trusted, forgedAnswer);
    t.proxyOptions.tunnels.kms = { host: "127.0.0.1", port: hostile.port };

    // Act
    const attempt = t.sealingKms({ maxAttempts: 1, trustRoots: [otherName.caPem] }).generateDataKey({ vault: VAULT });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(hostile.requests).toBe(0);
  });

  it("refuses a host that speaks plain HTTP on the tunnel", async () => {
    // Prepare: a TCP server that answers anything with a clear-text HTTP 200 carrying a forged key.
    let received = 0;
    const plain: Server = createTcpServer((socket) => {
      socket.on("data", () => {
        received += 1;
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 2\r\n\r\n{}`);
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", () => resolve()));
    servers.push({ stop: () => new Promise<void>((resolve) => plain.close(() => resolve())) });
    const port = (plain.address() as { port: number }).port;
    t.proxyOptions.tunnels.kms = { host: "127.0.0.1", port };

    // Act
    const attempt = t.sealingKms({ maxAttempts: 1 }).generateDataKey({ vault: VAULT });

    // Assess: only the TLS ClientHello reached it, and its answer failed the handshake.
    await expect(attempt).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(received).toBeGreaterThan(0);
  });

  describe("answers the enclave side refuses even over a verified TLS session", () => {
    /** A lookalike holding the stand-in's own trusted certificate (a misbehaving KMS). */
    async function misbehaving(answer: (input: AwsJsonInput) => Promise<Record<string, unknown>>) {
      const server = await lookalike({ certPem: t.kms.tls.certPem, keyPem: t.kms.tls.keyPem }, answer);
      t.proxyOptions.tunnels.kms = { host: "127.0.0.1", port: server.port };
      return server;
    }

    it("refuses an answer for another key", async () => {
      // Prepare
      const server = await misbehaving(async (input) => ({
        ...(await forgedAnswer(input)),
        KeyId: t.kms.keyId.replace(/key\/.*/, "key/00000000-0000-4000-8000-000000000000"),
      }));

      // Act
      const attempt = t.sealingKms({ maxAttempts: 1 }).generateDataKey({ vault: VAULT });

      // Assess
      await expect(attempt).rejects.toMatchObject({ code: "FORBIDDEN", name: "KmsAnswerRefused" });
      expect(server.requests).toBe(1);
    });

    it("refuses an answer that carries a Plaintext", async () => {
      // Prepare
      await misbehaving(async (input) => ({
        ...(await forgedAnswer(input)),
        Plaintext: HOST_CHOSEN_KEY.toString("base64"),
      }));

      // Act
      const attempt = t.sealingKms({ maxAttempts: 1 }).generateDataKey({ vault: VAULT });

      // Assess
      await expect(attempt).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/Plaintext/) });
    });

    it("refuses an answer without CiphertextForRecipient", async () => {
      // Prepare
      await misbehaving(async () => ({ KeyId: t.kms.keyId, CiphertextBlob: Buffer.alloc(64, 1).toString("base64") }));

      // Act
      const attempt = t.sealingKms({ maxAttempts: 1 }).generateDataKey({ vault: VAULT });

      // Assess
      await expect(attempt).rejects.toMatchObject({
        code: "FORBIDDEN",
        message: expect.stringMatching(/CiphertextForRecipient/),
      });
    });
  });

  it("still gets a genuine data key once the tunnel points at KMS again", async () => {
    // Act
    const key = await t.sealingKms().generateDataKey({ vault: VAULT });

    // Assess: the genuine key is not the one the host chose.
    expect(key.plaintext).toHaveLength(32);
    expect(Buffer.from(key.plaintext).equals(HOST_CHOSEN_KEY)).toBe(false);
  });
});

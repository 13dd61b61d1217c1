import { blobKey } from "../../../lib/proxy-protocol";
import { vaultRequestSubject, vaultRequestWildcard } from "../../../lib/subjects";
import type { VerifiedPeer } from "../../../vault-enclave/kms";
import { KMS_NAME, type ProxyTopology, startProxyTopology, VAULT } from "./topology";

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
const bytes = (value: string) => new TextEncoder().encode(value);

describe("vsock-proxy end to end (real nats-server, KMS and S3 stand-ins, simulated NSM)", () => {
  let t: ProxyTopology;
  beforeAll(async () => {
    t = await startProxyTopology();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("verified the enclave's attestation against the manifest before serving it", () => {
    expect(t.proxy.counters.attested).toBe(1);
    expect(t.proxy.health()).toMatchObject({ status: "ok", nats: "connected", enclaves: { attested: 1 } });
  });

  it("gives an enclave running an image outside the manifest nothing: no ready, connection closed", async () => {
    const { createSimulatedNsm } = await import("../../../local/nsm-sim");
    const { ProxyClient } = await import("../../../lib/proxy-client");
    const pcrs = { 0: new Uint8Array(48).fill(3), 1: new Uint8Array(48).fill(4), 2: new Uint8Array(48).fill(5) };
    const rogueNsm = await createSimulatedNsm({ environment: "local", ca: t.ca, pcrs });
    const failuresBefore = t.proxy.counters.attestationFailures;
    const rogue = new ProxyClient({
      transport: t.enclaveTransport,
      attest: (request) => rogueNsm.attest(request),
      reconnect: { initialDelayMs: 1_000, maxDelayMs: 1_000 },
      readyTimeoutMs: 2_000,
    });
    rogue.start();
    await expect(rogue.ready(500)).rejects.toMatchObject({ code: "TIMEOUT" });
    await expect(rogue.blob.get(`vaults/${VAULT}/state`)).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    await rogue.close(100);
    expect(t.proxy.counters.attestationFailures).toBeGreaterThan(failuresBefore);
    expect(t.proxy.health().enclaves.attested).toBe(1);
  });

  it("gives an approved image nothing when its document is not marked for the proxy's challenge", async () => {
    // Prepare: the genuine simulated enclave, attesting with the nonce but another user_data
    const { ProxyClient } = await import("../../../lib/proxy-client");
    const failuresBefore = t.proxy.counters.attestationFailures;
    const unmarked = new ProxyClient({
      transport: t.enclaveTransport,
      attest: ({ nonce }) => t.nsm.attest({ nonce, userData: bytes("vettid/device-attestation") }),
      reconnect: { initialDelayMs: 1_000, maxDelayMs: 1_000 },
      readyTimeoutMs: 2_000,
    });
    // Act
    unmarked.start();
    // Assess
    await expect(unmarked.ready(500)).rejects.toMatchObject({ code: "TIMEOUT" });
    await expect(unmarked.blob.get(`vaults/${VAULT}/state`)).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    await unmarked.close(100);
    expect(t.proxy.counters.attestationFailures).toBeGreaterThan(failuresBefore);
  });

  it("subscribes to a vault subject through the proxy and answers a device's NATS request", async () => {
    // Prepare
    await t.client.nats.subscribe(vaultRequestWildcard(VAULT), (msg) => {
      t.client.nats.respond(msg.reply, bytes(`echo:${text(msg.data)}`));
    });
    const device = await t.device();
    // Act
    const reply = await device.request(vaultRequestSubject(VAULT, "dev-1"), bytes("hello"), { timeout: 5_000 });
    // Assess
    expect(text(reply.data)).toBe("echo:hello");
  });

  it("gets a data key with GenerateDataKey + Recipient over TLS that ends on the enclave side, and decrypts it again", async () => {
    // Prepare
    const peers: VerifiedPeer[] = [];
    const kms = t.sealingKms({ onVerified: (peer) => peers.push(peer) });

    // Act
    const generated = await kms.generateDataKey({ vault: VAULT });
    const again = await kms.decrypt(generated.ciphertextBlob, { vault: VAULT });

    // Assess
    expect(generated.plaintext).toHaveLength(32);
    expect(Buffer.from(again).equals(Buffer.from(generated.plaintext))).toBe(true);
    expect(peers.length).toBeGreaterThan(0);
    expect(peers[0]).toMatchObject({ servername: KMS_NAME, subject: KMS_NAME, issuer: "vettid-dev-tls-ca.local" });
    // The proxy forwarded bytes only: it holds no KMS client and composed no answer.
    expect(t.proxy.liveSessions.size).toBe(1);
  });

  it("refuses a data key to a Recipient whose PCR0 the key policy does not name", async () => {
    // Prepare
    const { createSimulatedNsm } = await import("../../../local/nsm-sim");
    const pcrs = { 0: new Uint8Array(48).fill(7), 1: new Uint8Array(48).fill(1), 2: new Uint8Array(48).fill(2) };
    // Same dev root, other image: the document is genuine, its PCR0 is not approved.
    const rogue = await createSimulatedNsm({ environment: "local", ca: t.ca, pcrs });
    // Another root altogether: the document itself is refused.
    const foreign = await createSimulatedNsm({ environment: "local" });

    // Act
    const excluded = t.sealingKms({ nsm: rogue }).generateDataKey({ vault: VAULT });
    const forged = t.sealingKms({ nsm: foreign }).generateDataKey({ vault: VAULT });

    // Assess
    await expect(excluded).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(forged).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("writes a blob, fails a stale conditional write, and reads the winner back", async () => {
    const key = blobKey(VAULT, "state");
    const v1 = await t.client.blob.put(key, bytes("state-1"), null);
    const v2 = await t.client.blob.put(key, bytes("state-2"), v1);
    await expect(t.client.blob.put(key, bytes("stale"), v1)).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
      retryable: true,
    });
    await expect(t.client.blob.put(key, bytes("dup-create"), null)).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    const read = await t.client.blob.get(key);
    expect(read && text(read.data)).toBe("state-2");
    expect(read?.version).toBe(v2);
    await t.client.blob.delete(key, v2);
    await expect(t.client.blob.get(key)).resolves.toBeUndefined();
  });
});

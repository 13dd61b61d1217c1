/**
 * Invariant 1 at the proxy: for a vault operation, every byte that crosses the
 * proxy's enclave socket (tapped in both directions) holds no plaintext canary, no
 * data key and no session key; neither does the blob store.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import { sodium, sodiumReady } from "../../../lib/crypto";
import { deriveSessionKeys, type EnvelopeContext, SealedChannel } from "../../../lib/envelope";
import { blobKey } from "../../../lib/proxy-protocol";
import { vaultRequestSubject, vaultRequestWildcard } from "../../../lib/subjects";
import { recordingTransport } from "../../../local/recording-transport";
import { type ProxyTopology, startProxyTopology, VAULT } from "./topology";

describe("what the proxy sees of a vault operation", () => {
  const seen: Buffer[] = [];
  let t: ProxyTopology;
  beforeAll(async () => {
    await sodiumReady();
    t = await startProxyTopology({ wrapEnclaveTransport: (inner) => recordingTransport(inner, seen) });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("holds no plaintext canary, data key or session key", async () => {
    // Prepare: device and enclave X25519 keys and one session, as after the attested handshake
    const s = sodium();
    const deviceKeys = s.crypto_kx_keypair();
    const enclaveKeys = s.crypto_kx_keypair();
    const context: EnvelopeContext = { vaultId: VAULT, deviceId: "dev-1", sessionId: "s-1" };
    const deviceSession = deriveSessionKeys("device", deviceKeys, enclaveKeys.publicKey, context.sessionId);
    const enclaveSession = deriveSessionKeys("enclave", enclaveKeys, deviceKeys.publicKey, context.sessionId);
    const canary = `CANARY-${randomBytes(12).toString("hex")}`;
    const secrets: { name: string; bytes: Buffer }[] = [
      { name: "canary", bytes: Buffer.from(canary) },
      { name: "device tx key", bytes: Buffer.from(deviceSession.tx) },
      { name: "enclave tx key", bytes: Buffer.from(enclaveSession.tx) },
    ];

    // The enclave: open the request, seal the item with a KMS data key, store it, answer sealed
    const deviceChannel = new SealedChannel({ role: "device", keys: deviceSession, context });
    const enclaveChannel = new SealedChannel({ role: "enclave", keys: enclaveSession, context });
    const sealing = t.sealingKms();
    await t.client.nats.subscribe(vaultRequestWildcard(VAULT), (msg) => {
      void (async () => {
        const opened = enclaveChannel.open(msg.data);
        const dataKey = await sealing.generateDataKey({ vault: VAULT });
        secrets.push({ name: "data key", bytes: Buffer.from(dataKey.plaintext) });
        const iv = randomBytes(12);
        const cipher = createCipheriv("aes-256-gcm", dataKey.plaintext, iv);
        const sealedState = Buffer.concat([iv, cipher.update(opened.plaintext), cipher.final(), cipher.getAuthTag()]);
        await t.client.blob.put(blobKey(VAULT, "state"), sealedState, null);
        const reply = enclaveChannel.sealAnswer(opened, "items.put", new TextEncoder().encode(`stored ${canary}`));
        t.client.nats.respond(msg.reply, reply);
      })();
    });

    // Act: the device puts the canary into its vault
    const device = await t.device();
    const request = deviceChannel.seal(
      "items.put",
      new TextEncoder().encode(JSON.stringify({ name: "bank", value: canary })),
    );
    const answer = await device.request(vaultRequestSubject(VAULT, "dev-1"), request.envelope, { timeout: 10_000 });
    const opened = deviceChannel.openAnswer(answer.data, request.pending);

    // Assess: the operation happened, and nothing secret crossed the proxy
    expect(new TextDecoder().decode(opened.plaintext)).toBe(`stored ${canary}`);
    const traffic = Buffer.concat(seen);
    expect(traffic.length).toBeGreaterThan(1_000);
    expect(traffic.includes(Buffer.from(vaultRequestSubject(VAULT, "dev-1")))).toBe(true); // the tap does see the frames
    expect(traffic.includes(Buffer.from("items.put"))).toBe(false); // the op travels inside the ciphertext
    expect(secrets.map((x) => x.name)).toContain("data key");
    for (const secret of secrets) {
      expect({ secret: secret.name, found: traffic.includes(secret.bytes) }).toEqual({
        secret: secret.name,
        found: false,
      });
    }
    const stored = [...t.s3.store.buckets.values()].flatMap((bucket) => [...bucket.values()].map((o) => o.data));
    expect(stored.length).toBeGreaterThan(0);
    for (const object of stored) {
      for (const secret of secrets) expect(object.includes(secret.bytes)).toBe(false);
    }
  });
});

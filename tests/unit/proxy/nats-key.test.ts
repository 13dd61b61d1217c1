/**
 * The runtime's sealed NATS signing key on both sides of a real proxy link: the host
 * hands an attested enclave the KMS ciphertext it was given, read from its file each
 * time, checks only its shape, and refuses when it has none.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unixSocketTransport } from "../../../lib/frame-link";
import { ProxyClient } from "../../../lib/proxy-client";
import { MAX_NATS_KEY_CIPHERTEXT_BYTES } from "../../../lib/proxy-protocol";
import { staticServedVaults } from "../../../vsock-proxy/policy";
import { VsockProxy } from "../../../vsock-proxy/proxy";
import { sealedNatsKeyFile } from "../../../vsock-proxy/sealed-nats-key";
import {
  fakeDocument,
  fakeVerifier,
  memoryBlobStore,
  memoryNats,
  recordingLogger,
  recordingMetrics,
  socketPath,
} from "./fakes";

const APPROVED = "aa".repeat(48);
const credentials = { accessKeyId: "AKIDHOST", secretAccessKey: "host-secret" };

async function setup(options: { natsKey?: () => Promise<Uint8Array | undefined>; attested?: boolean } = {}) {
  const path = socketPath("nats-key");
  const proxy = new VsockProxy({
    transport: unixSocketTransport(path),
    verifier: fakeVerifier([APPROVED]),
    nats: memoryNats(),
    tunnels: {},
    credentials: async () => credentials,
    ...(options.natsKey ? { natsKey: options.natsKey } : {}),
    blob: memoryBlobStore(),
    served: staticServedVaults(["vault-1"]),
    logger: recordingLogger(),
    metrics: recordingMetrics(),
  });
  await proxy.start();
  const client = new ProxyClient({
    transport: unixSocketTransport(path),
    attest: async ({ nonce }) => fakeDocument(options.attested === false ? "bb".repeat(48) : APPROVED, nonce),
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    readyTimeoutMs: 2_000,
  });
  client.start();
  return {
    client,
    async stop() {
      await client.close(500);
      await proxy.stop(500);
    },
  };
}

function keyFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "vp-nats-key-")), "runtime-nats-key.b64");
  writeFileSync(file, content);
  return file;
}

describe("runtime NATS key from the host", () => {
  it("hands the ciphertext of its file to an attested enclave, read again on every ask", async () => {
    // Prepare
    const first = new Uint8Array(200).fill(7);
    const file = keyFile(
      `${Buffer.from(first)
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")}\n`,
    );
    const t = await setup({ natsKey: sealedNatsKeyFile(file) });
    await t.client.ready(2_000);

    // Act
    const given = await t.client.natsKeyCiphertext();
    writeFileSync(file, Buffer.from(new Uint8Array(180).fill(9)).toString("base64"));
    const rotated = await t.client.natsKeyCiphertext();

    // Assess
    expect(given).toEqual(first);
    expect(rotated).toEqual(new Uint8Array(180).fill(9));
    await t.stop();
  });

  it("refuses NOT_FOUND on a host without one, and nothing to an enclave it did not attest", async () => {
    // Prepare
    const none = await setup();
    await none.client.ready(2_000);
    const rogue = await setup({ natsKey: async () => new Uint8Array(200), attested: false });

    // Act
    const missing = none.client.natsKeyCiphertext();
    const refused = rogue.client.natsKeyCiphertext();

    // Assess
    await expect(missing).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(refused).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    await none.stop();
    await rogue.stop();
  });

  it("refuses a key of a wrong size from its source instead of handing it on", async () => {
    // Prepare
    const empty = await setup({ natsKey: async () => new Uint8Array(0) });
    await empty.client.ready(2_000);
    const huge = await setup({ natsKey: async () => new Uint8Array(MAX_NATS_KEY_CIPHERTEXT_BYTES + 1) });
    await huge.client.ready(2_000);

    // Act / Assess
    await expect(empty.client.natsKeyCiphertext()).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(huge.client.natsKeyCiphertext()).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await empty.stop();
    await huge.stop();
  });

  it("names the file, never its content, when it is missing, too large or not base64", async () => {
    // Prepare
    const secretish = "not*base64*SECRET";
    const cases = [
      join(tmpdir(), "vp-nats-key-missing", "none.b64"),
      keyFile("A".repeat(64 * 1024)),
      keyFile(secretish),
      keyFile("QUJD="),
      keyFile(""),
    ];

    // Act
    const outcomes = await Promise.all(cases.map((file) => sealedNatsKeyFile(file)().catch((err: unknown) => err)));

    // Assess
    outcomes.forEach((err, i) => {
      expect(err).toMatchObject({ code: "UNAVAILABLE" });
      expect(String((err as Error).message)).toContain(cases[i]);
      expect(String((err as Error).message)).not.toContain("SECRET");
    });
  });
});

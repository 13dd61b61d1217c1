import { VettidError } from "../../../lib/errors";
import { unixSocketTransport } from "../../../lib/frame-link";
import { ProxyClient } from "../../../lib/proxy-client";
import { blobKey } from "../../../lib/proxy-protocol";
import {
  deviceInboxPrefix,
  vaultBroadcastEventSubject,
  vaultRequestSubject,
  vaultRequestWildcard,
} from "../../../lib/subjects";
import { staticServedVaults } from "../../../vsock-proxy/policy";
import { VsockProxy } from "../../../vsock-proxy/proxy";
import {
  fakeDocument,
  fakeVerifier,
  memoryBlobStore,
  memoryNats,
  recordingLogger,
  recordingMetrics,
  socketPath,
  unusedCredentials,
} from "./fakes";

const APPROVED = "aa".repeat(48);
const UNKNOWN = "bb".repeat(48);
const VAULT = "vault-1";
const OTHER_VAULT = "vault-2";

async function setup(pcr0 = APPROVED) {
  const path = socketPath();
  const nats = memoryNats();
  const blob = memoryBlobStore();
  const logger = recordingLogger();
  const metrics = recordingMetrics();
  const options: ConstructorParameters<typeof VsockProxy>[0] = {
    transport: unixSocketTransport(path),
    verifier: fakeVerifier([APPROVED]),
    nats,
    tunnels: {},
    credentials: unusedCredentials,
    blob,
    served: staticServedVaults([VAULT]),
    logger,
    metrics,
  };
  const proxy = new VsockProxy(options);
  await proxy.start();
  const client = new ProxyClient({
    transport: unixSocketTransport(path),
    attest: async ({ nonce }) => fakeDocument(pcr0, nonce),
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    readyTimeoutMs: 2_000,
  });
  client.start();
  return {
    proxy,
    client,
    nats,
    blob,
    logger,
    metrics,
    options,
    async stop() {
      await client.close(1_000);
      await proxy.stop(1_000);
    },
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe("vsock-proxy session", () => {
  it("attests the enclave before bridging anything, then serves it", async () => {
    const t = await setup();
    await t.client.ready(5_000);
    expect(t.proxy.health()).toMatchObject({ status: "ok", enclaves: { connected: 1, attested: 1 } });
    await expect(t.client.ping()).resolves.toMatchObject({ status: "ok" });
    await t.stop();
  });

  it("gives an enclave with an unknown PCR0 nothing and disconnects it", async () => {
    const t = await setup(UNKNOWN);
    await expect(t.client.ready(300)).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(t.proxy.counters.attestationFailures).toBeGreaterThan(0);
    expect(t.proxy.counters.attested).toBe(0);
    expect(t.nats.published).toHaveLength(0);
    await t.stop();
  });

  it("delivers requests on a served vault and lets the enclave answer the delivered reply subject once", async () => {
    const t = await setup();
    await t.client.ready(5_000);
    const seen: string[] = [];
    await t.client.nats.subscribe(vaultRequestWildcard(VAULT), (msg) => {
      seen.push(msg.subject);
      t.client.nats.respond(msg.reply, bytes("answer"));
      t.client.nats.respond(msg.reply, bytes("second answer is refused"));
    });
    const reply = `${deviceInboxPrefix("dev-1")}.abc`;
    t.nats.inject(vaultRequestSubject(VAULT, "dev-1"), bytes("question"), reply);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([vaultRequestSubject(VAULT, "dev-1")]);
    expect(t.nats.published.map((p) => [p.subject, Buffer.from(p.data).toString()])).toEqual([[reply, "answer"]]);
    expect(t.proxy.counters.refused).toBe(1);
    await t.stop();
  });

  it("does not let the enclave answer into another device's inbox named as a request's reply subject", async () => {
    // Prepare: dev-1's request names dev-2's inbox as its reply subject
    const t = await setup();
    await t.client.ready(5_000);
    const answers: Promise<unknown>[] = [];
    await t.client.nats.subscribe(vaultRequestWildcard(VAULT), (msg) => {
      answers.push(t.client.nats.publish(msg.reply as string, bytes("answer")).catch((err: unknown) => err));
    });

    // Act
    t.nats.inject(vaultRequestSubject(VAULT, "dev-1"), bytes("question"), `${deviceInboxPrefix("dev-2")}.abc`);
    for (let i = 0; i < 1_000 && answers.length === 0; i += 1) await new Promise((r) => setImmediate(r));

    // Assess
    expect(await Promise.all(answers)).toEqual([expect.objectContaining({ code: "FORBIDDEN" })]);
    expect(t.nats.published).toHaveLength(0);
    await t.stop();
  });

  it("refuses subjects of other vaults, wildcards and inboxes it was not given, with FORBIDDEN", async () => {
    const t = await setup();
    await t.client.ready(5_000);
    const noop = () => {};
    for (const subject of [vaultRequestWildcard(OTHER_VAULT), "vettid.v1.>", "vettid.v1.vault.*.req.*", "_INBOX.x"]) {
      await expect(t.client.nats.subscribe(subject, noop)).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await expect(t.client.nats.publish(`${deviceInboxPrefix("dev-1")}.zzz`, bytes("x"))).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(t.client.nats.publish(vaultBroadcastEventSubject(OTHER_VAULT), bytes("x"))).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await t.client.nats.publish(vaultBroadcastEventSubject(VAULT), bytes("event"));
    expect(t.nats.published.map((p) => p.subject)).toEqual([vaultBroadcastEventSubject(VAULT)]);
    await t.stop();
  });

  it("writes blobs conditionally and keeps other vaults' keys out of reach", async () => {
    const t = await setup();
    await t.client.ready(5_000);
    const key = blobKey(VAULT, "state");
    const v1 = await t.client.blob.put(key, bytes("one"), null);
    await expect(t.client.blob.put(key, bytes("again"), null)).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    const v2 = await t.client.blob.put(key, bytes("two"), v1);
    await expect(t.client.blob.put(key, bytes("stale"), v1)).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
      retryable: true,
    });
    const read = await t.client.blob.get(key);
    expect(Buffer.from(read?.data ?? []).toString()).toBe("two");
    expect(read?.version).toBe(v2);
    await expect(t.client.blob.get(blobKey(OTHER_VAULT, "state"))).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(t.client.blob.get("vaults/../etc")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await t.stop();
  });

  it("forwards log entries and metrics into the host logger and metrics, bounded", async () => {
    const t = await setup();
    await t.client.ready(5_000);
    t.client.log("info", "vault unlocked", { op: "unlock", count: 1 });
    t.client.metric("ops", "Count", 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.logger.entries.find((e) => e.message === "vault unlocked")?.extra).toEqual([
      { source: "enclave", enclave: { op: "unlock", count: 1 } },
    ]);
    expect(t.metrics.points).toEqual([{ name: "enclave.ops", unit: "Count", value: 3 }]);
    // a flood is capped per second, the rest dropped and counted
    for (let i = 0; i < 2_000; i += 1) t.client.log("debug", `line ${i}`);
    await new Promise((r) => setTimeout(r, 100));
    const lines = t.logger.entries.filter((e) => e.message.startsWith("line ")).length;
    expect(lines).toBeLessThan(2_000);
    expect(t.proxy.counters.dropped).toBeGreaterThan(0);
    await t.stop();
  });

  it("drains in-flight work on stop: a slow write completes, then the link closes", async () => {
    const t = await setup();
    await t.client.ready(5_000);
    const store = t.blob;
    const slowPut = store.put.bind(store);
    store.put = async (key, data, expected) => {
      await new Promise((r) => setTimeout(r, 100));
      return slowPut(key, data, expected);
    };
    const write = t.client.blob.put(blobKey(VAULT, "slow"), bytes("whole"), null);
    await new Promise((r) => setTimeout(r, 20));
    await t.proxy.stop(5_000);
    await expect(write).resolves.toMatch(/^"v\d+"$/);
    expect(Buffer.from(store.objects.get(blobKey(VAULT, "slow"))?.data ?? []).toString()).toBe("whole");
    expect(t.proxy.liveSessions.size).toBe(0);
    await t.client.close(100);
  });

  it("reconnects after the proxy restarts and subscribes again; in-flight work fails retryably", async () => {
    const t = await setup();
    await t.client.ready(5_000);
    const seen: string[] = [];
    await t.client.nats.subscribe(vaultRequestWildcard(VAULT), (msg) => seen.push(Buffer.from(msg.data).toString()));
    await t.proxy.stop(100);
    const failed = await t.client.blob.get(blobKey(VAULT, "x")).catch((e: VettidError) => e);
    expect(failed).toBeInstanceOf(VettidError);
    expect((failed as VettidError).retryable).toBe(true);
    const again = new VsockProxy(t.options);
    await again.start();
    await t.client.ready(5_000);
    t.nats.inject(vaultRequestSubject(VAULT, "dev-1"), bytes("after restart"));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(["after restart"]);
    expect(t.client.reconnects).toBe(1);
    await t.client.close(500);
    await again.stop(500);
  });
});

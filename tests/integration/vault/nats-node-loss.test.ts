/**
 * Losing a NATS node during writes (issue 13's node-loss case): a 3-node cluster with
 * JetStream, the proxy and the version witness (KV, 3 replicas) on node 1, the device
 * on node 3. Node 1 is SIGKILLed while the device writes; the proxy and the witness
 * reconnect to another node, and every write the device saw acknowledged is still
 * there, its version witnessed. How long service took to come back is printed for the
 * record; speed targets are measured in bench/, not here.
 */
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { VaultClient } from "../../../client/vault";
import { vaultRequestSubject } from "../../../lib/subjects";
import { type NatsCluster, startNatsCluster } from "../../../local/nats";
import { VaultRuntime } from "../../../vault-enclave/runtime/vault-runtime";
import { KvWitness, WITNESS_BUCKET } from "../../../vault-enclave/witness";
import { type Person, PIN, person, TEST_ARGON2 } from "../../unit/enclave/runtime/harness";
import { type ProxyTopology, startProxyTopology } from "../proxy/topology";

describe("a NATS node lost during writes", () => {
  let cluster: NatsCluster;
  let t: ProxyTopology;
  let witnessConnection: NatsConnection;
  let runtime: VaultRuntime;
  let alice: Person;
  let bucket: Awaited<ReturnType<Kvm["create"]>>;

  beforeAll(async () => {
    alice = await person("dev-alice");
    cluster = await startNatsCluster(3);
    t = await startProxyTopology({ vaults: [alice.vaultId], cluster });
    witnessConnection = await connect({
      servers: cluster.urls,
      noRandomize: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
      name: "vault-witness",
    });
    // JetStream answers once the cluster has elected its meta leader
    for (let attempt = 1; ; attempt++) {
      try {
        bucket = await new Kvm(witnessConnection).create(WITNESS_BUCKET, { history: 1, replicas: 3 });
        break;
      } catch (err) {
        if (attempt >= 60) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    runtime = new VaultRuntime({
      ports: {
        nsm: t.nsm,
        kms: t.sealingKms(),
        blobs: t.client.blob,
        nats: t.client.nats,
        witness: new KvWitness({ bucket, timeoutMs: 2_000 }),
        log: () => undefined,
        now: Date.now,
      },
      argon2Params: TEST_ARGON2,
    });
    await runtime.serve(alice.vaultId);
  });
  afterAll(async () => {
    await runtime?.close();
    await witnessConnection?.close();
    await t?.stop();
    await cluster?.stop();
  });

  it("keeps every acknowledged write and serves again after the proxy's node is killed", async () => {
    const nc = await t.device(alice.deviceId);
    const vault = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: async (data) =>
        (await nc.request(vaultRequestSubject(alice.vaultId, alice.deviceId), data, { timeout: 1_500 })).data,
      attestation: { trustedRoots: [t.nsm.rootCertificatePem], manifest: t.manifest },
      memory: { stateVersion: 0 },
    });
    await vault.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    const proxyNode = cluster.servers[0]!;
    expect(witnessConnection.info?.server_name).toBe(proxyNode.name);
    const acknowledged = new Map<string, string>();
    let killedAt = 0;
    let backAt = 0;
    let failures = 0;
    let lastError = "";

    // Act: 30 writes, the proxy's node SIGKILLed after the 10th; each write retried until acknowledged.
    for (let i = 0; i < 30; i++) {
      if (i === 10) {
        process.kill(proxyNode.pid as number, "SIGKILL");
        killedAt = Date.now();
      }
      const name = `item-${i}`;
      const value = `value-${i}-${Date.now()}`;
      for (;;) {
        try {
          await vault.call("items.put", { op: "items.put", name, type: "secret", value: Buffer.from(value) });
          acknowledged.set(name, value);
          if (killedAt > 0 && backAt === 0) backAt = Date.now();
          break;
        } catch (err) {
          failures += 1;
          lastError = `${(err as { code?: string }).code ?? ""} ${(err as Error).message}`;
          if (failures > 200) throw new Error(`service did not come back: ${lastError}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
    process.stdout.write(
      `nats node loss: first acknowledged write ${backAt - killedAt} ms after the kill (${failures} failed tries)\n`,
    );

    // Assess: every acknowledged write reads back, and the witness holds the state's version.
    expect(acknowledged.size).toBe(30);
    for (const [name, value] of acknowledged) {
      const got = await vault.call("items.get", { op: "items.get", name });
      expect(Buffer.from(got.item.value).toString()).toBe(value);
    }
    const { stateVersion } = await vault.call("vault.status", { op: "vault.status" });
    const entry = await bucket.get(alice.vaultId);
    expect(entry?.revision).toBeGreaterThan(0);
    expect(witnessConnection.info?.server_name).not.toBe(proxyNode.name);
    const witnessed = await new KvWitness({ bucket }).read(alice.vaultId);
    expect(witnessed?.record.stateVersion).toBe(stateVersion);
  });
});

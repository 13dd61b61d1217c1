/**
 * JetStream in the operator-mode account, for the vault runtime's own user
 * (lib/nats-auth enclavePermissions, decisions 0070 and 0071), on a real nats-server
 * 2.9.10 as the launcher configures it: the account's JetStream is on, the runtime's
 * user can use the witness and lease buckets, and nothing else of JetStream.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { jetStreamLayout } from "../../../lib/jetstream-layout";
import { enclaveInboxPrefix, WITNESS_BUCKET } from "../../../lib/nats-auth";
import { type OperatorNats, startOperatorNats } from "../../../local/launcher/nats";
import { LOCAL_RUNTIME_NATS_NAME, writeRuntimeWitnessCreds } from "../../../local/launcher/runtime";

describe("the vault runtime's JetStream user (operator mode)", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-enclave-js-"));
  let nats: OperatorNats;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startOperatorNats(join(dir, "nats"));
    const creds = await writeRuntimeWitnessCreds(dir, nats.keys);
    nc = await connect({
      servers: nats.server.url,
      authenticator: credsAuthenticator(readFileSync(creds)),
      inboxPrefix: enclaveInboxPrefix(LOCAL_RUNTIME_NATS_NAME),
    });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has JetStream in its account (an account limit above the server's would switch it off)", async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.getAccountInfo();
    expect(info.limits.max_memory).toBe(-1);
  });

  it("creates and uses the witness and lease buckets, and no other stream", async () => {
    const kvm = new Kvm(nc);
    for (const asset of jetStreamLayout(1)) {
      if (asset.kind !== "kv") continue;
      const bucket = await kvm.create(asset.name, asset.kv);
      const revision = await bucket.create("vlt_00000000000000000000000000000001", new Uint8Array([1]));
      expect((await bucket.get("vlt_00000000000000000000000000000001"))?.revision).toBe(revision);
    }
    await expect(kvm.create("other-bucket", { history: 1, timeout: 1_000 })).rejects.toThrow();
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.delete(`KV_${WITNESS_BUCKET}`)).rejects.toThrow();
  });
});

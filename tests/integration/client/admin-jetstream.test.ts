/**
 * `bin/vettid admin jetstream` through `main(argv, io)` against real nats-servers with
 * JetStream: in operator mode as a provisioning user of the VETTID account (create,
 * check again, then the runtime's own scoped user using what it made), on a plain
 * server (an asset made otherwise is reported and left alone; the errors an operator
 * meets as one line each), and on a three-node cluster with three replicas.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { Algorithms, encodeUser, fromSeed } from "@nats-io/jwt";
import { Kvm } from "@nats-io/kv";
import { createUser } from "@nats-io/nkeys";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { main } from "../../../client/cli/main";
import {
  enclaveInboxPrefix,
  formatCreds,
  LEASE_BUCKET,
  mintScopedEnclaveUserJwt,
  SYNC_STREAM,
  WITNESS_BUCKET,
} from "../../../lib/nats-auth";
import { type OperatorNats, startOperatorNats } from "../../../local/launcher/nats";
import { freePort } from "../../../local/nats";
import { JetStreamChangeLog } from "../../../vault-enclave/sync";
import { KvWitness } from "../../../vault-enclave/witness";
import { useNatsCluster, useNatsServer } from "../../harness/nats";
import { captureIo } from "../../unit/client/capture-io";

const VAULT = `vlt_${"d4".repeat(16)}`;

async function vettid(...argv: string[]) {
  const io = captureIo({});
  const code = await main(["admin", "jetstream", ...argv], io);
  return { code, out: io.out, err: io.err };
}

const lines = (...states: string[]) =>
  `${[`kv ${WITNESS_BUCKET}`, `kv ${LEASE_BUCKET}`, `stream ${SYNC_STREAM}`].map((a, i) => `${a}: ${states[i]}`).join("\n")}\n`;

/** The streams the account holds. */
async function streamNames(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) names.push(name);
  return names.sort();
}

/** A user JWT of the VETTID account signed by its unscoped key, as creds. */
async function accountUserCreds(nats: OperatorNats, name: string, permissions: Record<string, unknown>) {
  const user = createUser();
  const jwt = await encodeUser(name, user, nats.keys.accountPublicKey, permissions, {
    algorithm: Algorithms.v2,
    signer: fromSeed(new TextEncoder().encode(nats.keys.accountSigningSeed)),
  });
  return { creds: formatCreds(jwt, new TextDecoder().decode(user.getSeed())), jwt, seed: user.getSeed() };
}

describe("bin/vettid admin jetstream as a provisioning user of the VETTID account", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-admin-jetstream-"));
  const credsFile = join(dir, "provisioner.creds");
  const readOnlyFile = join(dir, "read-only.creds");
  let nats: OperatorNats;
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  let server: string[];

  beforeAll(async () => {
    nats = await startOperatorNats(join(dir, "nats"));
    server = ["--server", nats.server.url];
    const provisioner = await accountUserCreds(nats, "provisioner", { pub: { allow: [">"] }, sub: { allow: [">"] } });
    writeFileSync(credsFile, provisioner.creds, { mode: 0o600 });
    const readOnly = await accountUserCreds(nats, "monitor", {
      pub: { allow: ["$JS.API.INFO", "$JS.API.STREAM.INFO.*"] },
      sub: { allow: ["_INBOX.>"] },
    });
    writeFileSync(readOnlyFile, readOnly.creds, { mode: 0o600 });
    admin = await connect({
      servers: nats.server.url,
      authenticator: jwtAuthenticator(provisioner.jwt, provisioner.seed),
    });
    jsm = await jetstreamManager(admin);
  });
  afterAll(async () => {
    await admin?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("with --check on an empty account reports all three missing, exits 1 and creates nothing", async () => {
    // Act
    const checked = await vettid(...server, "--creds", credsFile, "--replicas", "1", "--check");

    // Assess
    expect(checked).toEqual({
      code: 1,
      out: lines("missing", "missing", "missing"),
      err: "3 of 3 missing: run without --check to create them\n",
    });
    expect(await streamNames(jsm)).toEqual([]);
  });

  it("refuses a user that may read JetStream but not create streams, in one line", async () => {
    // Act
    const refused = await vettid(...server, "--creds", readOnlyFile, "--replicas", "1");

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.out).toBe("");
    expect(refused.err).toBe(
      `error: FORBIDDEN: creating kv ${WITNESS_BUCKET}: this NATS user may not (Permissions Violation for Publish to "$JS.API.STREAM.CREATE.KV_${WITNESS_BUCKET}")\n`,
    );
    expect(await streamNames(jsm)).toEqual([]);
  });

  it("creates all three, then finds them ok, also as JSON", async () => {
    // Act
    const first = await vettid(...server, "--creds", credsFile, "--replicas", "1");
    const second = await vettid(...server, "--creds", credsFile, "--replicas", "1");
    const checked = await vettid(...server, "--creds", credsFile, "--replicas", "1", "--check", "--json");
    const monitored = await vettid(...server, "--creds", readOnlyFile, "--replicas", "1", "--check");

    // Assess
    expect(first).toEqual({ code: 0, out: lines("created", "created", "created"), err: "" });
    expect(second).toEqual({ code: 0, out: lines("ok", "ok", "ok"), err: "" });
    expect(monitored).toEqual({ code: 0, out: lines("ok", "ok", "ok"), err: "" });
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.out)).toEqual({
      replicas: 1,
      check: true,
      ok: true,
      assets: [
        { kind: "kv", name: WITNESS_BUCKET, streamName: `KV_${WITNESS_BUCKET}`, state: "ok", differences: [] },
        { kind: "kv", name: LEASE_BUCKET, streamName: `KV_${LEASE_BUCKET}`, state: "ok", differences: [] },
        { kind: "stream", name: SYNC_STREAM, streamName: SYNC_STREAM, state: "ok", differences: [] },
      ],
    });
    expect(await streamNames(jsm)).toEqual([`KV_${LEASE_BUCKET}`, `KV_${WITNESS_BUCKET}`, SYNC_STREAM].sort());
    const witness = (await jsm.streams.info(`KV_${WITNESS_BUCKET}`)).config;
    expect(witness).toMatchObject({ max_msgs_per_subject: 1, storage: "file", num_replicas: 1, max_age: 0 });
  });

  it("reports what differs when asked for other replicas, and changes nothing", async () => {
    // Act
    const checked = await vettid(...server, "--creds", credsFile, "--replicas", "3");

    // Assess
    const differs = "differs: num_replicas: 1, want 3";
    expect(checked).toEqual({
      code: 1,
      out: lines(differs, differs, differs),
      err: "3 of 3 differ from the layout and were left as they are: change or recreate them by hand\n",
    });
    expect((await jsm.streams.info(SYNC_STREAM)).config.num_replicas).toBe(1);
  });

  it("leaves assets the runtime's own scoped user can use: the witness, the leases and the change log", async () => {
    // Prepare
    const runtime = createUser();
    const name = "rt_0123456789abcdef0123456789abcdef";
    const minted = await mintScopedEnclaveUserJwt({
      signing: { accountPublicKey: nats.keys.accountPublicKey, signingKeySeed: nats.keys.enclaveSigningSeed },
      userPublicKey: runtime.getPublicKey(),
      name,
    });
    const nc = await connect({
      servers: nats.server.url,
      authenticator: jwtAuthenticator(minted.jwt, runtime.getSeed()),
      inboxPrefix: enclaveInboxPrefix(name),
    });
    try {
      // Act
      const changes = await JetStreamChangeLog.open(nc);
      const position = await changes.append(VAULT, new Uint8Array([1, 2, 3]));
      const witness = new KvWitness({ bucket: await new Kvm(nc).open(WITNESS_BUCKET) });
      const record = {
        vaultId: VAULT,
        stateVersion: 3,
        failures: 0,
        recoveryFailures: 0,
        stateDigest: new Uint8Array(32).fill(3),
      };
      const revision = await witness.record(record, null);
      const leases = await new Kvm(nc).open(LEASE_BUCKET);
      await leases.put(VAULT, new Uint8Array([9]));

      // Assess
      expect(await changes.next(VAULT, 1)).toEqual({ position, data: new Uint8Array([1, 2, 3]) });
      expect(await witness.read(VAULT)).toEqual({ record, revision });
      expect((await leases.get(VAULT))?.value).toEqual(new Uint8Array([9]));
    } finally {
      await nc.close();
    }
  });

  it("says in one line when the server refuses the credentials or wants some", async () => {
    // Prepare
    const stranger = createUser();
    const foreign = formatCreds(
      (await accountUserCreds(nats, "x", {})).jwt,
      new TextDecoder().decode(stranger.getSeed()),
    );
    const foreignFile = join(dir, "foreign.creds");
    writeFileSync(foreignFile, foreign, { mode: 0o600 });

    // Act
    const refused = await vettid(...server, "--creds", foreignFile);
    const none = await vettid(...server);

    // Assess
    expect(refused).toEqual({
      code: 1,
      out: "",
      err: `error: UNAUTHENTICATED: NATS at ${nats.server.url} refused the credentials in ${foreignFile} (Authorization Violation)\n`,
    });
    expect(none).toEqual({
      code: 1,
      out: "",
      err: `error: UNAUTHENTICATED: NATS at ${nats.server.url} requires credentials: pass --creds FILE\n`,
    });
  });
});

describe("bin/vettid admin jetstream on a server without authentication", () => {
  const nats = useNatsServer();
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: nats.current.url });
  });
  afterAll(async () => {
    await nc?.close();
  });

  it("reports a bucket made with another history as differs, leaves it so and creates the rest", async () => {
    // Prepare: made by hand with nats.js defaults, which allow direct gets the witness turns off
    await new Kvm(nc).create(WITNESS_BUCKET, { history: 5 });

    // Act
    const applied = await vettid("--server", nats.current.url, "--replicas", "1");
    const json = await vettid("--server", nats.current.url, "--replicas", "1", "--check", "--json");

    // Assess
    expect(applied).toEqual({
      code: 1,
      out: lines("differs: max_msgs_per_subject: 5, want 1; allow_direct: true, want false", "created", "created"),
      err: "1 of 3 differ from the layout and were left as they are: change or recreate them by hand\n",
    });
    expect(JSON.parse(json.out)).toMatchObject({
      ok: false,
      assets: [
        {
          name: WITNESS_BUCKET,
          state: "differs",
          differences: ["max_msgs_per_subject: 5, want 1", "allow_direct: true, want false"],
        },
        { name: LEASE_BUCKET, state: "ok" },
        { name: SYNC_STREAM, state: "ok" },
      ],
    });
    expect(json.code).toBe(1);
    const info = await (await jetstreamManager(nc)).streams.info(`KV_${WITNESS_BUCKET}`);
    expect(info.config.max_msgs_per_subject).toBe(5);
  });

  it("names the server's reason when it cannot hold three replicas", async () => {
    // Prepare
    const jsm = await jetstreamManager(nc);
    for (const stream of [`KV_${WITNESS_BUCKET}`, `KV_${LEASE_BUCKET}`, SYNC_STREAM]) await jsm.streams.delete(stream);

    // Act
    const refused = await vettid("--server", nats.current.url);

    // Assess
    expect(refused).toEqual({
      code: 1,
      out: "",
      err: `error: UNAVAILABLE: creating kv ${WITNESS_BUCKET}: JetStream refused: replicas > 1 not supported in non-clustered mode (error 10074)\n`,
    });
  });
});

describe("bin/vettid admin jetstream where NATS is not there", () => {
  const plain = useNatsServer({ jetstream: false });

  it("says the server cannot be reached", async () => {
    // Prepare
    const url = `nats://127.0.0.1:${await freePort()}`;

    // Act
    const unreachable = await vettid("--server", url, "--replicas", "1");

    // Assess
    expect(unreachable.code).toBe(1);
    expect(unreachable.out).toBe("");
    expect(unreachable.err).toMatch(
      new RegExp(`^error: UNAVAILABLE: cannot reach NATS at ${url}: connection refused \\(.*ECONNREFUSED.*\\)\\n$`),
    );
  });

  it("says JetStream is not enabled", async () => {
    // Act
    const disabled = await vettid("--server", plain.current.url, "--replicas", "1", "--check");

    // Assess
    expect(disabled).toEqual({
      code: 1,
      out: "",
      err: "error: UNAVAILABLE: reaching JetStream: JetStream is not enabled for this user's account\n",
    });
  });
});

describe("bin/vettid admin jetstream on a three-node cluster", () => {
  const cluster = useNatsCluster(3);
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connect({ servers: cluster.current.urls });
    jsm = await jetstreamManager(nc, { checkAPI: false });
    // JetStream answers once the cluster has elected its meta leader
    for (let attempt = 1; ; attempt++) {
      try {
        await jsm.getAccountInfo();
        break;
      } catch (err) {
        if (attempt >= 60) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
  });

  it("creates every asset with three replicas by default", async () => {
    // Act
    const created = await vettid("--server", cluster.current.urls.join(","));
    const checked = await vettid("--server", cluster.current.urls.join(","), "--check");

    // Assess
    expect(created).toEqual({ code: 0, out: lines("created", "created", "created"), err: "" });
    expect(checked).toEqual({ code: 0, out: lines("ok", "ok", "ok"), err: "" });
    for (const stream of [`KV_${WITNESS_BUCKET}`, `KV_${LEASE_BUCKET}`, SYNC_STREAM]) {
      const info = await jsm.streams.info(stream);
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas).toHaveLength(2);
    }
  });
});

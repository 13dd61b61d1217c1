/**
 * The scoped runtime signing key (decision 0072) on a real nats-server in operator mode
 * with JetStream and the full resolver: a user JWT that `mintScopedEnclaveUserJwt` signs
 * with it reaches the witness and lease buckets and its own inbox
 * (`enclaveInboxPrefix(name)`), nothing else; a JWT from that key claiming more is
 * refused; and a host subscribed to `_INBOX.>` sees none of the runtime's KV replies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Algorithms, encodeUser, fromSeed } from "@nats-io/jwt";
import { type KV, Kvm } from "@nats-io/kv";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import {
  enclaveInboxPrefix,
  formatCreds,
  LEASE_BUCKET,
  mintHostUserJwt,
  mintScopedEnclaveUserJwt,
  WITNESS_BUCKET,
} from "../../../lib/nats-auth";
import { vaultRequestSubject } from "../../../lib/subjects";
import { type OperatorNats, startOperatorNats } from "../../../local/launcher/nats";

const RUNTIME = `rt_${"1".repeat(32)}`;
const OTHER_RUNTIME = `rt_${"2".repeat(32)}`;
const VAULT = `vlt_${"a".repeat(32)}`;
const DEVICE = `dev_${"1".repeat(32)}`;
const OTHER_BUCKET = "other-bucket";
const KEY = `vlt_${"0".repeat(31)}1`;

/** Everything a JWT could claim beyond the runtime's share. */
const WIDE = { pub: { allow: [">"] }, sub: { allow: [">"] }, subs: -1, data: -1, payload: -1 };

const seedOf = (kp: KeyPair) => new TextDecoder().decode(kp.getSeed());
const bytes = (s: string) => new TextEncoder().encode(s);

/** A permissions violation the server reported on a connection. */
interface Violation {
  operation: string;
  subject: string;
}

/** Collects the permissions violations the server reports on `nc`, in order. */
class Violations {
  readonly seen: Violation[] = [];
  private readonly waiters: { match: (v: Violation) => boolean; resolve: (v: Violation) => void }[] = [];

  constructor(nc: NatsConnection) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type !== "error") continue;
        const error = status.error as { name?: string; operation?: string; subject?: string };
        if (error.name !== "PermissionViolationError") continue;
        const v = { operation: String(error.operation), subject: String(error.subject) };
        this.seen.push(v);
        for (const w of this.waiters.splice(0)) {
          if (w.match(v)) w.resolve(v);
          else this.waiters.push(w);
        }
      }
    })();
  }

  /** Resolves with the first violation (already seen or still to come) of `operation` on a subject `match` accepts. */
  of(operation: "publish" | "subscription", match: (subject: string) => boolean): Promise<Violation> {
    const test = (v: Violation) => v.operation === operation && match(v.subject);
    const found = this.seen.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match: test, resolve }));
  }
}

/** Settles to the value, or to the error's name: a refused request must reject, not hang. */
function settled<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (e: unknown) => ({ ok: false as const, error: e instanceof Error ? e.name : String(e) }),
  );
}

describe("scoped runtime signing key (nats-server, operator mode, JetStream, full resolver)", () => {
  let dir: string;
  let nats: OperatorNats;
  let admin: NatsConnection;
  const open: NatsConnection[] = [];

  async function connectWith(jwt: string, user: KeyPair, inboxPrefix?: string): Promise<NatsConnection> {
    const nc = await connect({
      servers: nats.server.url,
      authenticator: credsAuthenticator(bytes(formatCreds(jwt, seedOf(user)))),
      reconnect: false,
      ...(inboxPrefix ? { inboxPrefix } : {}),
    });
    open.push(nc);
    return nc;
  }

  /** A JWT for `user` with exactly `claims`, signed by the runtime signing key. */
  function signWithRuntimeKey(user: KeyPair, claims: Record<string, unknown>, name: string): Promise<string> {
    return encodeUser(name, user, nats.keys.accountPublicKey, claims, {
      algorithm: Algorithms.v2,
      signer: fromSeed(bytes(nats.keys.enclaveSigningSeed)),
      exp: Math.floor(Date.now() / 1000) + 600,
      scopedUser: true,
    });
  }

  /** A runtime connection as the enclave would make it: a fresh user nkey, its own scoped JWT, its own inbox. */
  async function connectRuntime(name = RUNTIME): Promise<{ nc: NatsConnection; violations: Violations }> {
    const user = createUser();
    const minted = await mintScopedEnclaveUserJwt({
      signing: { accountPublicKey: nats.keys.accountPublicKey, signingKeySeed: nats.keys.enclaveSigningSeed },
      userPublicKey: user.getPublicKey(),
      name,
    });
    const nc = await connectWith(minted.jwt, user, enclaveInboxPrefix(name));
    return { nc, violations: new Violations(nc) };
  }

  /** Puts a value, reads it back, and sees it arrive on a watch, in `bucket`. */
  async function roundTrip(kv: KV, value: string): Promise<{ got?: string; watched?: string }> {
    const watch = await kv.watch({ key: KEY });
    try {
      await kv.put(KEY, bytes(value));
      const got = (await kv.get(KEY))?.string();
      let watched: string | undefined;
      for await (const entry of watch) {
        if (entry.string() === value) {
          watched = entry.string();
          break;
        }
      }
      return { got, watched };
    } finally {
      watch.stop();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vettid-enclave-scope-"));
    nats = await startOperatorNats(join(dir, "nats"));
    // A deployment provisions the buckets: a privileged user (unscoped key, wide claims) creates them here.
    const adminKey = createUser();
    const adminJwt = await encodeUser("admin", adminKey, nats.keys.accountPublicKey, WIDE, {
      algorithm: Algorithms.v2,
      signer: fromSeed(bytes(nats.keys.accountSigningSeed)),
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    admin = await connectWith(adminJwt, adminKey);
    const kvm = new Kvm(admin);
    for (const bucket of [WITNESS_BUCKET, LEASE_BUCKET, OTHER_BUCKET]) await kvm.create(bucket, { history: 1 });
  });

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a runtime JWT the enclave mints puts, gets and watches keys in both buckets", async () => {
    // Prepare
    const { nc, violations } = await connectRuntime();
    const kvm = new Kvm(nc);

    // Act
    const witness = await roundTrip(await kvm.open(WITNESS_BUCKET), "witness-1");
    const leases = await roundTrip(await kvm.open(LEASE_BUCKET), "lease-1");

    // Assess
    expect(witness).toEqual({ got: "witness-1", watched: "witness-1" });
    expect(leases).toEqual({ got: "lease-1", watched: "lease-1" });
    await nc.flush();
    expect(violations.seen).toEqual([]);
  });

  it("a runtime's watch keeps its flow control: a watch of more than the server sends unasked goes on", async () => {
    // Prepare: about 11 MB in one bucket; the server asks a push consumer for a flow
    // control reply (to $JS.FC.<stream>.…) every few MB, and stops delivering until it comes
    const records = 12;
    const bulk = await new Kvm(admin).open(WITNESS_BUCKET);
    for (let i = 0; i < records; i++) await bulk.put(`bulk.${i}`, new Uint8Array(900_000));
    const { nc, violations } = await connectRuntime();
    const watch = await (await new Kvm(nc).open(WITNESS_BUCKET)).watch({ key: "bulk.>" });

    // Act: all records arrive, or the flow control reply is refused (and the watch stalls)
    const all = (async () => {
      let n = 0;
      for await (const _ of watch) if (++n === records) break;
      return n;
    })();
    const stalled = violations.of("publish", (s) => s.startsWith("$JS.FC."));
    const result = await Promise.race([all, stalled]);
    watch.stop();

    // Assess
    expect(result).toBe(records);
    expect(violations.seen).toEqual([]);
  });

  it("a runtime JWT is refused another bucket, stream creation and deletion, and every other subject", async () => {
    // Prepare
    const { nc, violations } = await connectRuntime();
    const jsm = await jetstreamManager(nc);

    // Act
    const other = await new Kvm(nc).open(OTHER_BUCKET);
    const otherGet = await settled(other.get(KEY));
    const otherPut = await settled(other.put(KEY, bytes("probe")));
    const otherStatus = await settled(other.status());
    const create = await settled(jsm.streams.add({ name: "RUNTIME_MADE", subjects: ["runtime.made.>"] }));
    // creating a bucket stops at its stream's info; its stream created directly is refused too
    const createBucket = await settled(new Kvm(nc).create("runtime-bucket", { history: 1 }));
    const createBucketStream = await settled(
      jsm.streams.add({ name: "KV_runtime-bucket", subjects: ["$KV.runtime-bucket.>"] }),
    );
    const remove = await settled(jsm.streams.delete(`KV_${WITNESS_BUCKET}`));
    const purge = await settled(jsm.streams.purge(`KV_${LEASE_BUCKET}`));
    // a witness record read by a direct get, which any replica may answer however far behind
    const directWitness = await settled(
      jsm.direct.getMessage(`KV_${WITNESS_BUCKET}`, { last_by_subj: `$KV.${WITNESS_BUCKET}.${KEY}` }),
    );
    nc.publish(vaultRequestSubject(VAULT, DEVICE), "probe");
    nc.publish("$SYS.REQ.SERVER.PING", "probe");
    nc.subscribe("_INBOX.>");
    nc.subscribe(`${enclaveInboxPrefix(OTHER_RUNTIME)}.>`);
    nc.subscribe(`$KV.${WITNESS_BUCKET}.>`);
    await nc.flush().catch(() => undefined);

    // Assess: each was refused by the server (the requests rejected, not timed out)
    for (const result of [
      otherGet,
      otherPut,
      otherStatus,
      create,
      createBucket,
      createBucketStream,
      remove,
      purge,
      directWitness,
    ])
      expect(result.ok).toBe(false);
    const refusedPublish = [
      `$JS.API.STREAM.MSG.GET.KV_${OTHER_BUCKET}`,
      `$KV.${OTHER_BUCKET}.${KEY}`,
      `$JS.API.STREAM.INFO.KV_${OTHER_BUCKET}`,
      "$JS.API.STREAM.CREATE.RUNTIME_MADE",
      "$JS.API.STREAM.INFO.KV_runtime-bucket",
      "$JS.API.STREAM.CREATE.KV_runtime-bucket",
      `$JS.API.STREAM.DELETE.KV_${WITNESS_BUCKET}`,
      `$JS.API.STREAM.PURGE.KV_${LEASE_BUCKET}`,
      `$JS.API.DIRECT.GET.KV_${WITNESS_BUCKET}.$KV.${WITNESS_BUCKET}.${KEY}`,
      vaultRequestSubject(VAULT, DEVICE),
      "$SYS.REQ.SERVER.PING",
    ];
    for (const subject of refusedPublish) {
      await expect(violations.of("publish", (s) => s === subject)).resolves.toEqual({ operation: "publish", subject });
    }
    for (const subject of ["_INBOX.>", `${enclaveInboxPrefix(OTHER_RUNTIME)}.>`, `$KV.${WITNESS_BUCKET}.>`]) {
      await expect(violations.of("subscription", (s) => s === subject)).resolves.toEqual({
        operation: "subscription",
        subject,
      });
    }
    // and the buckets are still there
    const adminJsm = await jetstreamManager(admin);
    await expect(adminJsm.streams.info(`KV_${WITNESS_BUCKET}`)).resolves.toBeDefined();
    await expect(adminJsm.streams.info(`KV_${LEASE_BUCKET}`)).resolves.toBeDefined();
    await expect(adminJsm.streams.info("RUNTIME_MADE")).rejects.toThrow();
  });

  it("refuses a JWT signed with the runtime key that claims wide permissions of its own", async () => {
    // Prepare: a holder of the runtime key's seed signs `>` for itself
    const user = createUser();
    const jwt = await signWithRuntimeKey(user, WIDE, RUNTIME);

    // Act
    const attempt = connectWith(jwt, user, enclaveInboxPrefix(RUNTIME));

    // Assess: nats-server 2.9 refuses a scoped user JWT that carries permissions or limits,
    // so the claims never widen the template
    await expect(attempt).rejects.toThrow(/Authorization Violation/i);
  });

  it("a JWT from the runtime key on the default _INBOX prefix gets no KV answers", async () => {
    // Prepare
    const user = createUser();
    const jwt = await signWithRuntimeKey(user, {}, RUNTIME);
    const nc = await connectWith(jwt, user);
    const violations = new Violations(nc);

    // Act
    const kv = await new Kvm(nc).open(WITNESS_BUCKET);
    const got = await settled(kv.get(KEY));
    const put = await settled(kv.put(KEY, bytes("probe")));

    // Assess: the reply subscription itself is refused, so the requests fail
    expect({ got: got.ok, put: put.ok }).toEqual({ got: false, put: false });
    const refused = await violations.of("subscription", (s) => s.startsWith("_INBOX."));
    expect(refused.subject).toMatch(/^_INBOX\./);
  });

  it("a host subscribed to _INBOX.> sees none of the runtime's KV replies", async () => {
    // Prepare: a host's proxy user, subscribed to every _INBOX reply
    const hostKey = createUser();
    const hostJwt = await mintHostUserJwt({
      signing: { accountPublicKey: nats.keys.accountPublicKey, signingKeySeed: nats.keys.accountSigningSeed },
      userPublicKey: hostKey.getPublicKey(),
      hostId: "host-1",
    });
    const host = await connectWith(hostJwt.jwt, hostKey);
    const hostViolations = new Violations(host);
    const seen: string[] = [];
    host.subscribe("_INBOX.>", {
      callback: (_err, msg) => {
        seen.push(msg.subject);
      },
    });
    await host.flush();
    // the control: a client on the default prefix has its KV replies seen by the host
    await (await new Kvm(admin).open(LEASE_BUCKET)).get(KEY);
    await host.flush();
    const control = seen.length;
    const { nc } = await connectRuntime();
    const kvm = new Kvm(nc);

    // Act
    await roundTrip(await kvm.open(WITNESS_BUCKET), "witness-2");
    await roundTrip(await kvm.open(LEASE_BUCKET), "lease-2");
    // every reply the server routed to the host before its PONG has arrived by then
    await host.flush();
    host.subscribe(`${enclaveInboxPrefix(RUNTIME)}.>`);
    await host.flush().catch(() => undefined);

    // Assess
    expect(control).toBeGreaterThan(0);
    expect(seen.length).toBe(control);
    const refused = await hostViolations.of("subscription", (s) => s === `${enclaveInboxPrefix(RUNTIME)}.>`);
    expect(refused.subject).toBe(`${enclaveInboxPrefix(RUNTIME)}.>`);
  });

  it("known limit: a name of * signed with the runtime key widens its inbox to every runtime's, but not its shape", async () => {
    // Prepare: mintScopedEnclaveUserJwt refuses the name; a holder of the seed need not use it
    const user = createUser();
    const jwt = await signWithRuntimeKey(user, {}, "*");
    const nc = await connectWith(jwt, user, enclaveInboxPrefix(RUNTIME));
    const violations = new Violations(nc);
    const got: string[] = [];
    nc.subscribe(`vettid.v1.runtime.*.inbox.>`, {
      callback: (_err, msg) => {
        got.push(msg.subject);
      },
    });
    await nc.flush();

    // Act
    admin.publish(`${enclaveInboxPrefix(OTHER_RUNTIME)}.x.1`, "probe");
    await admin.flush();
    await nc.flush();
    nc.publish(vaultRequestSubject(VAULT, DEVICE), "probe");
    nc.subscribe("_INBOX.>");
    await nc.flush().catch(() => undefined);

    // Assess: every runtime's replies (the buckets it may read anyway), still no other subject
    expect(got).toEqual([`${enclaveInboxPrefix(OTHER_RUNTIME)}.x.1`]);
    await expect(violations.of("publish", (s) => s === vaultRequestSubject(VAULT, DEVICE))).resolves.toBeDefined();
    await expect(violations.of("subscription", (s) => s === "_INBOX.>")).resolves.toBeDefined();
  });
});

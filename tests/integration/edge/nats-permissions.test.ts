import { createUser } from "@nats-io/nkeys";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../../../client/device";
import type { EnrollmentResponse } from "../../../lib/edge";
import { DEVICE_USER_LIMITS, formatCreds, mintDeviceUserJwt, mintHostUserJwt } from "../../../lib/nats-auth";
import { vaultRequestWildcard } from "../../../lib/subjects";
import { useEdge } from "./support";

interface Device {
  keys: DeviceKeys;
  enrollment: EnrollmentResponse;
}

const creds = (jwt: string, seed: string) => credsAuthenticator(new TextEncoder().encode(formatCreds(jwt, seed)));

/** Resolves with the first permissions violation the server reports on `nc`. */
function nextViolation(nc: NatsConnection, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no permissions violation")), timeoutMs);
    (async () => {
      for await (const status of nc.status()) {
        const message = String((status as { error?: Error }).error?.message ?? "");
        if (status.type === "error" && /Permissions Violation/i.test(message)) {
          clearTimeout(timer);
          resolve(message);
          return;
        }
      }
    })().catch(reject);
  });
}

describe("NATS authorization from minted user JWTs (real nats-server in operator mode)", () => {
  const edge = useEdge();
  const open: NatsConnection[] = [];
  let alice: Device;
  let bob: Device;
  let host: NatsConnection;

  async function enrollDevice(): Promise<Device> {
    const admin = createEdgeClient({ baseUrl: edge.current.edge.rest.url, adminToken: edge.current.edge.adminToken });
    const { code } = await admin.createInvitation();
    const keys = generateDeviceKeys();
    const enrollment = await createEdgeClient({ baseUrl: edge.current.edge.rest.url }).enroll(code, keys);
    return { keys, enrollment };
  }

  async function connectAs(device: Device, jwt = device.enrollment.nats.jwt): Promise<NatsConnection> {
    const nc = await connect({
      servers: edge.current.nats.server.url,
      authenticator: creds(jwt, device.keys.nats.seed),
      inboxPrefix: device.enrollment.subjects.inboxPrefix,
      reconnect: false,
    });
    open.push(nc);
    return nc;
  }

  beforeAll(async () => {
    alice = await enrollDevice();
    bob = await enrollDevice();
    const { keys } = edge.current.nats;
    const hostKey = createUser();
    const hostJwt = await mintHostUserJwt({
      signing: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.accountSigningSeed },
      userPublicKey: hostKey.getPublicKey(),
      hostId: "test-host",
    });
    host = await connect({
      servers: edge.current.nats.server.url,
      authenticator: creds(hostJwt.jwt, new TextDecoder().decode(hostKey.getSeed())),
    });
    for (const device of [alice, bob]) {
      host.subscribe(vaultRequestWildcard(device.enrollment.vaultId), {
        callback: (_err, msg) => {
          msg.respond(new TextEncoder().encode(`vault ${device.enrollment.vaultId}`));
        },
      });
    }
    await host.flush();
  });

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await host?.close();
  });

  test("each device reaches its own vault and receives its own events", async () => {
    // Prepare
    const a = await connectAs(alice);
    const b = await connectAs(bob);
    const events = a.subscribe(alice.enrollment.subjects.deviceEvents, { max: 1 });
    await a.flush();
    // Act
    const replyA = await a.request(alice.enrollment.subjects.request, "hello", { timeout: 5_000 });
    const replyB = await b.request(bob.enrollment.subjects.request, "hello", { timeout: 5_000 });
    host.publish(alice.enrollment.subjects.deviceEvents, "event");
    let received = "";
    for await (const m of events) received = m.string();
    // Assess
    expect(replyA.string()).toBe(`vault ${alice.enrollment.vaultId}`);
    expect(replyB.string()).toBe(`vault ${bob.enrollment.vaultId}`);
    expect(received).toBe("event");
  });

  test.each([
    ["publish to the other vault's request subject", "pub", () => bob.enrollment.subjects.request],
    ["subscribe to the other vault's events", "sub", () => bob.enrollment.subjects.broadcastEvents],
    ["subscribe to the other device's inbox", "sub", () => `${bob.enrollment.subjects.inboxPrefix}.>`],
    ["publish to $SYS", "pub", () => "$SYS.REQ.SERVER.PING"],
    ["subscribe to $SYS", "sub", () => "$SYS.>"],
    ["publish to the JetStream API", "pub", () => "$JS.API.INFO"],
    [
      "publish to its own vault under another device's name",
      "pub",
      () => alice.enrollment.subjects.request.replace(alice.enrollment.deviceId, bob.enrollment.deviceId),
    ],
  ])("alice is refused: %s", async (_label, kind, subject) => {
    // Prepare
    const a = await connectAs(alice);
    const violation = nextViolation(a);
    // Act
    if (kind === "pub") a.publish(subject(), "probe");
    else a.subscribe(subject());
    await a.flush().catch(() => undefined);
    // Assess
    await expect(violation).resolves.toMatch(/Permissions Violation for (Publish|Subscription)/);
  });

  it.each([
    ["delete a JetStream stream", "$JS.API.STREAM.DELETE.KV_vettid-leases"],
    ["create a stream", "$JS.API.STREAM.CREATE.ANY"],
    ["purge the lease stream", "$JS.API.STREAM.PURGE.KV_vettid-leases"],
    ["read another stream", "$JS.API.STREAM.INFO.OTHER"],
    ["use the system account API", "$SYS.REQ.ACCOUNT.PING"],
    ["write a vault lease (the runtimes' own)", "$KV.vettid-leases.vlt_00000000000000000000000000000001"],
    ["write a version witness record", "$KV.vettid-witness.vlt_00000000000000000000000000000001"],
    // a push consumer's deliver subject is not checked against the creator's permissions
    ["create a consumer on the lease stream", "$JS.API.CONSUMER.CREATE.KV_vettid-leases"],
    ["create a named consumer on the lease stream", "$JS.API.CONSUMER.CREATE.KV_vettid-leases.c.$KV.vettid-leases.>"],
    ["answer a watch's flow control", "$JS.FC.KV_vettid-leases.x.1"],
    // any host could otherwise flood a device's inbox, or answer a request it never received
    ["publish into a device's inbox unasked", () => `${alice.enrollment.subjects.inboxPrefix}.forged`],
  ])("the host user is refused: %s", async (_label, subject) => {
    // Prepare
    const violation = nextViolation(host);
    // Act
    host.publish(typeof subject === "function" ? subject() : subject, "probe");
    await host.flush().catch(() => undefined);
    // Assess
    await expect(violation).resolves.toMatch(/Permissions Violation for Publish/);
  });

  it("the host user answers each request it received once, and is refused a second answer", async () => {
    // Prepare: a device request the host answers twice (a host flooding the reply subject)
    const a = await connectAs(alice);
    const { keys } = edge.current.nats;
    const hostKey = createUser();
    const hostJwt = await mintHostUserJwt({
      signing: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.accountSigningSeed },
      userPublicKey: hostKey.getPublicKey(),
      hostId: "test-host-twice",
    });
    const twice = await connect({
      servers: edge.current.nats.server.url,
      authenticator: creds(hostJwt.jwt, new TextDecoder().decode(hostKey.getSeed())),
    });
    open.push(twice);
    const subject = alice.enrollment.subjects.request;
    const violation = nextViolation(twice);
    twice.subscribe(subject, {
      callback: (_err, msg) => {
        msg.respond(new TextEncoder().encode("first"));
        msg.respond(new TextEncoder().encode("second"));
      },
    });
    await twice.flush();
    const heard: string[] = [];

    // Act: every answer within the window (the shared host above answers too)
    const replies = await a.requestMany(subject, "hello", { strategy: "timer", maxWait: 500 });
    for await (const reply of replies) heard.push(reply.string());

    // Assess: one answer from each host; the second answer was a violation
    expect(heard.sort()).toEqual(["first", `vault ${alice.enrollment.vaultId}`]);
    await expect(violation).resolves.toMatch(/Permissions Violation for Publish/);
  });

  it("the host user may use the JetStream API of the lease bucket", async () => {
    // Prepare: an allowed request reaches JetStream (or finds no responder); a refused one is a violation
    const violations: string[] = [];
    const watching = (async () => {
      for await (const status of host.status()) {
        const message = String((status as { error?: Error }).error?.message ?? "");
        if (/Permissions Violation/i.test(message)) violations.push(message);
      }
    })();
    // Act
    const outcome = await host.request("$JS.API.STREAM.INFO.KV_vettid-leases", "", { timeout: 5_000 }).then(
      (reply) => reply.string(),
      (err: Error) => `${err.name}: ${err.message}`,
    );
    await host.flush();
    // Assess
    expect(outcome).not.toMatch(/permission/i);
    expect(violations).toEqual([]);
    void watching;
  });

  test("bob is refused alice's request subject and her events in the same way", async () => {
    // Prepare
    const b = await connectAs(bob);
    const first = nextViolation(b);
    // Act
    b.publish(alice.enrollment.subjects.request, "probe");
    await b.flush().catch(() => undefined);
    const publishViolation = await first;
    const second = nextViolation(b);
    b.subscribe(alice.enrollment.subjects.deviceEvents);
    await b.flush().catch(() => undefined);
    // Assess
    expect(publishViolation).toMatch(/Permissions Violation for Publish/);
    await expect(second).resolves.toMatch(/Permissions Violation for Subscription/);
  });

  test("the server caps a device's subscriptions at its JWT's limit", async () => {
    // Prepare
    const nc = await connectAs(alice);
    const errors: string[] = [];
    (async () => {
      for await (const status of nc.status()) {
        if (status.type === "error") errors.push(String((status as { error?: Error }).error?.message));
      }
    })().catch(() => {});
    const prefix = alice.enrollment.subjects.inboxPrefix;
    // Act
    for (let i = 0; i < DEVICE_USER_LIMITS.subs; i += 1) nc.subscribe(`${prefix}.within-${i}`);
    await nc.flush();
    const withinLimit = [...errors];
    nc.subscribe(`${prefix}.one-too-many`);
    await nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    // Assess
    expect(withinLimit).toEqual([]);
    expect(errors.join("\n")).toMatch(/maximum subscriptions exceeded/i);
  });

  test("an expired user JWT cannot connect", async () => {
    // Prepare
    const { keys } = edge.current.nats;
    const expired = await mintDeviceUserJwt({
      signing: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.deviceSigningSeed },
      userPublicKey: alice.keys.nats.publicKey,
      vaultId: alice.enrollment.vaultId,
      deviceId: alice.enrollment.deviceId,
      ttlSeconds: 60,
      now: Date.now() - 3_600_000,
    });
    // Act
    const attempt = connectAs(alice, expired.jwt);
    // Assess
    await expect(attempt).rejects.toThrow(/Authorization Violation|expired/i);
  });

  test("revoking a device closes its live connection and its JWT can no longer connect", async () => {
    // Prepare
    const device = await enrollDevice();
    const live = await connectAs(device);
    const closed = live.closed();
    const admin = edge.current.request;
    // Act
    const revoked = await admin("POST", `/v1/admin/devices/${device.enrollment.deviceId}/revoke`, { admin: true });
    const closedWith = await closed;
    const reconnect = connectAs(device);
    const refresh = createEdgeClient({ baseUrl: edge.current.edge.rest.url }).refreshCredentials(
      device.enrollment.deviceId,
      device.keys,
    );
    // Assess
    expect(revoked.status).toBe(200);
    expect(String(closedWith?.message ?? "closed")).toMatch(/revoked|closed/i);
    await expect(reconnect).rejects.toThrow(/Authorization Violation/i);
    await expect(refresh).rejects.toMatchObject({ code: "DEVICE_REVOKED" });
    // others are unaffected
    const a = await connectAs(alice);
    await expect(a.request(alice.enrollment.subjects.request, "x", { timeout: 5_000 })).resolves.toBeDefined();
  });

  test("a device may revoke devices of its own user only (here: itself), never another user's", async () => {
    // Prepare: two unrelated users (a second device of one user joins through the vault, a later flow)
    const target = await enrollDevice();
    const stranger = await enrollDevice();
    const client = createEdgeClient({ baseUrl: edge.current.edge.rest.url });
    const live = await connectAs(target);
    // Act
    const refused = client.revokeDevice(target.enrollment.deviceId, stranger.enrollment.deviceId, stranger.keys);
    await expect(refused).rejects.toMatchObject({ code: "FORBIDDEN" });
    const stillOpen = !live.isClosed();
    const self = await client.revokeDevice(target.enrollment.deviceId, target.enrollment.deviceId, target.keys);
    await live.closed();
    // Assess
    expect(stillOpen).toBe(true);
    expect(self.status).toBe("revoked");
    expect(live.isClosed()).toBe(true);
  });
});

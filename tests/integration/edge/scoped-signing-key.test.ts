/**
 * The scoped device signing key on a real nats-server in operator mode (memory
 * resolver): whatever a user JWT signed with it claims, the server grants the device
 * template only; the same claims signed with the unscoped account signing key get what
 * they claim, which is what the edge would hand out if the scope were lost.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Algorithms, encodeUser, fromSeed } from "@nats-io/jwt";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import {
  formatCreds,
  generateNatsKeyHierarchy,
  issueNatsServerAuth,
  mintDeviceUserJwt,
  type NatsKeyHierarchy,
  VAULT_TAG,
} from "../../../lib/nats-auth";
import { deviceInboxPrefix, vaultBroadcastEventSubject, vaultRequestSubject } from "../../../lib/subjects";
import { type NatsServer, startNatsServer } from "../../../local/nats";

const VAULT = `vlt_${"a".repeat(32)}`;
const OTHER_VAULT = `vlt_${"b".repeat(32)}`;
const DEVICE = `dev_${"1".repeat(32)}`;
const OTHER_DEVICE = `dev_${"2".repeat(32)}`;

/** Everything a JWT could claim beyond a device's share. */
const WIDE = { pub: { allow: [">"] }, sub: { allow: [">"] }, subs: -1, data: -1, payload: -1 };

const seedOf = (kp: KeyPair) => new TextDecoder().decode(kp.getSeed());

/** A user JWT for `user` with `claims`, signed by `signingSeed` (an account signing key). */
function signUser(
  keys: NatsKeyHierarchy,
  signingSeed: string,
  user: KeyPair,
  claims: Record<string, unknown>,
  name = DEVICE,
) {
  return encodeUser(name, user, keys.accountPublicKey, claims, {
    algorithm: Algorithms.v2,
    signer: fromSeed(new TextEncoder().encode(signingSeed)),
    exp: Math.floor(Date.now() / 1000) + 600,
    // as given: no defaults added, so a "scoped" JWT carries exactly `claims`
    scopedUser: true,
  });
}

type Outcome = "delivered" | "refused" | "neither";

/**
 * Runs `act` on `nc` and reports what happened first: `arrived` settled (the message got
 * through), or the server reported a permissions violation on `nc`. Bounded, so a probe
 * that does neither fails the test instead of hanging it.
 */
async function outcome(nc: NatsConnection, act: () => Promise<void>, arrived: Promise<void>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const statuses = nc.status()[Symbol.asyncIterator]();
  const violation = (async () => {
    for (let next = await statuses.next(); !next.done; next = await statuses.next()) {
      const status = next.value;
      const message = String((status as { error?: Error }).error?.message ?? "");
      if (status.type === "error" && /Permissions Violation/i.test(message)) return "refused" as const;
    }
    return "neither" as const;
  })();
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve("neither"), 5_000);
  });
  // a subscription the server refused also ends its iterator with the error: the violation decides
  const delivered = arrived.then(
    () => "delivered" as const,
    () => new Promise<Outcome>(() => undefined),
  );
  try {
    await act();
    return await Promise.race([violation, delivered, timeout]);
  } finally {
    clearTimeout(timer);
    void statuses.return?.();
  }
}

/** Resolves when `sub` yields its first message. */
async function first(sub: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of sub) return;
  throw new Error("closed without a message");
}

describe("scoped device signing key (nats-server, operator mode, memory resolver)", () => {
  let dir: string;
  let server: NatsServer;
  let keys: NatsKeyHierarchy;
  let observer: NatsConnection;
  const open: NatsConnection[] = [];

  async function connectWith(jwt: string, user: KeyPair, inboxPrefix?: string): Promise<NatsConnection> {
    const nc = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(formatCreds(jwt, seedOf(user)))),
      reconnect: false,
      ...(inboxPrefix ? { inboxPrefix } : {}),
    });
    open.push(nc);
    return nc;
  }

  /** Whether `nc` may publish to `subject`: the observer receives it, or the server refuses. */
  async function publishes(nc: NatsConnection, subject: string): Promise<Outcome> {
    const seen = observer.subscribe(subject, { max: 1 });
    await observer.flush();
    try {
      return await outcome(
        nc,
        async () => {
          nc.publish(subject, "probe");
          await nc.flush().catch(() => undefined);
        },
        first(seen),
      );
    } finally {
      seen.unsubscribe();
    }
  }

  /** Whether `nc` may subscribe to `subject`: it receives `sample` from the observer, or the server refuses. */
  async function subscribes(nc: NatsConnection, subject: string, sample = subject): Promise<Outcome> {
    const sub = nc.subscribe(subject, { max: 1 });
    return outcome(
      nc,
      async () => {
        await nc.flush().catch(() => undefined);
        observer.publish(sample, "probe");
        await observer.flush();
      },
      first(sub),
    );
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vettid-scoped-"));
    keys = generateNatsKeyHierarchy();
    const auth = await issueNatsServerAuth(keys);
    server = await startNatsServer({
      dir,
      jetstream: false,
      extraConfig: [
        `operator: ${JSON.stringify(auth.operatorJwt)}`,
        `system_account: ${JSON.stringify(keys.systemAccountPublicKey)}`,
        "resolver: MEMORY",
        "resolver_preload: {",
        `  ${keys.systemAccountPublicKey}: ${JSON.stringify(auth.systemAccountJwt)}`,
        `  ${keys.accountPublicKey}: ${JSON.stringify(auth.accountJwt)}`,
        "}",
      ].join("\n"),
    });
    // The observer may publish and subscribe anywhere (unscoped key, wide claims): it
    // sees what a probe publishes and sends what a probe subscribes to.
    const watcher = createUser();
    observer = await connectWith(await signUser(keys, keys.accountSigningSeed, watcher, WIDE), watcher);
  });

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a device JWT the edge mints gets the device's subjects and nothing else", async () => {
    // Prepare
    const user = createUser();
    const minted = await mintDeviceUserJwt({
      signing: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.deviceSigningSeed },
      userPublicKey: user.getPublicKey(),
      vaultId: VAULT,
      deviceId: DEVICE,
    });
    const nc = await connectWith(minted.jwt, user, deviceInboxPrefix(DEVICE));
    // Act
    const own = await publishes(nc, vaultRequestSubject(VAULT, DEVICE));
    const ownEvents = await subscribes(nc, vaultBroadcastEventSubject(VAULT));
    const ownInbox = await subscribes(nc, `${deviceInboxPrefix(DEVICE)}.>`, `${deviceInboxPrefix(DEVICE)}.r1`);
    const otherVault = await publishes(nc, vaultRequestSubject(OTHER_VAULT, DEVICE));
    const otherInbox = await subscribes(
      nc,
      `${deviceInboxPrefix(OTHER_DEVICE)}.>`,
      `${deviceInboxPrefix(OTHER_DEVICE)}.r1`,
    );
    // Assess
    expect({ own, ownEvents, ownInbox }).toEqual({ own: "delivered", ownEvents: "delivered", ownInbox: "delivered" });
    expect({ otherVault, otherInbox }).toEqual({ otherVault: "refused", otherInbox: "refused" });
  });

  it("refuses a JWT signed with the scoped key that claims permissions of its own (here: >)", async () => {
    // Prepare: a compromised edge signs wide claims with the only key it holds
    const user = createUser();
    const jwt = await signUser(keys, keys.deviceSigningSeed, user, { ...WIDE, tags: [`${VAULT_TAG}:${VAULT}`] });
    // Act
    const attempt = connectWith(jwt, user);
    // Assess: nats-server 2.9 refuses any scoped user JWT that carries permissions or limits
    await expect(attempt).rejects.toThrow(/Authorization Violation/i);
  });

  it("a JWT signed with the scoped key naming another vault gets that vault's device subjects, never more", async () => {
    // Prepare: the claims it may set are its name and tags; they fill the template only
    const user = createUser();
    const jwt = await signUser(keys, keys.deviceSigningSeed, user, { tags: [`${VAULT_TAG}:${OTHER_VAULT}`] });
    const nc = await connectWith(jwt, user, deviceInboxPrefix(DEVICE));
    // Act
    const asDevice = await publishes(nc, vaultRequestSubject(OTHER_VAULT, DEVICE));
    const firstVault = await publishes(nc, vaultRequestSubject(VAULT, DEVICE));
    const systemApi = await publishes(nc, "$JS.API.INFO");
    const hostSide = await publishes(nc, `${deviceInboxPrefix(OTHER_DEVICE)}.r1`);
    const everything = await subscribes(nc, ">", `${deviceInboxPrefix(OTHER_DEVICE)}.r9`);
    // Assess
    expect(asDevice).toBe("delivered");
    expect({ firstVault, systemApi, hostSide, everything }).toEqual({
      firstVault: "refused",
      systemApi: "refused",
      hostSide: "refused",
      everything: "refused",
    });
  });

  it("a JWT without the vault tag gets no vault subject at all", async () => {
    // Prepare
    const user = createUser();
    const jwt = await signUser(keys, keys.deviceSigningSeed, user, {});
    const nc = await connectWith(jwt, user, deviceInboxPrefix(DEVICE));
    // Act
    const request = await publishes(nc, vaultRequestSubject(VAULT, DEVICE));
    const inbox = await subscribes(nc, `${deviceInboxPrefix(DEVICE)}.>`, `${deviceInboxPrefix(DEVICE)}.r2`);
    // Assess: the template's vault subjects expand to nothing, the inbox (name only) stays
    expect({ request, inbox }).toEqual({ request: "refused", inbox: "delivered" });
  });

  it("known limit: a name or vault tag of * widens the template's tokens, but not its shapes", async () => {
    // Prepare: nats-server 2.9 puts the values into the subjects as they are (decision 0063)
    const user = createUser();
    const jwt = await signUser(keys, keys.deviceSigningSeed, user, { tags: [`${VAULT_TAG}:*`] }, "*");
    const nc = await connectWith(jwt, user, deviceInboxPrefix(DEVICE));
    // Act
    const anyInbox = await subscribes(nc, "vettid.v1.inbox.*.>", `${deviceInboxPrefix(OTHER_DEVICE)}.r3`);
    const anyRequest = await publishes(nc, vaultRequestSubject(OTHER_VAULT, OTHER_DEVICE));
    const replies = await publishes(nc, `${deviceInboxPrefix(OTHER_DEVICE)}.r4`);
    const events = await publishes(nc, vaultBroadcastEventSubject(OTHER_VAULT));
    const jetStream = await publishes(nc, "$JS.API.INFO");
    const outside = await subscribes(nc, ">", "$KV.vettid-leases.x");
    // Assess: every device's share at once (sealed traffic only), still no host side and no JetStream
    expect({ anyInbox, anyRequest }).toEqual({ anyInbox: "delivered", anyRequest: "delivered" });
    expect({ replies, events, jetStream, outside }).toEqual({
      replies: "refused",
      events: "refused",
      jetStream: "refused",
      outside: "refused",
    });
  });

  it("the same wide claims signed with the unscoped account signing key get what they claim", async () => {
    // Prepare: what a device would get if the edge held the unscoped key (the scope lost)
    const user = createUser();
    const jwt = await signUser(keys, keys.accountSigningSeed, user, { ...WIDE, tags: [`${VAULT_TAG}:${VAULT}`] });
    const nc = await connectWith(jwt, user);
    // Act
    const otherVault = await publishes(nc, vaultRequestSubject(OTHER_VAULT, OTHER_DEVICE));
    const otherInbox = await subscribes(
      nc,
      `${deviceInboxPrefix(OTHER_DEVICE)}.>`,
      `${deviceInboxPrefix(OTHER_DEVICE)}.r1`,
    );
    const everything = await subscribes(nc, ">", `${deviceInboxPrefix(OTHER_DEVICE)}.r9`);
    // Assess
    expect({ otherVault, otherInbox, everything }).toEqual({
      otherVault: "delivered",
      otherInbox: "delivered",
      everything: "delivered",
    });
  });
});

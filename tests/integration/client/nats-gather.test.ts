/**
 * The device's two ways of asking its vault over NATS (client/cli/nats-connection.ts), on
 * a real nats-server: request/reply takes the first answer; request-many hears every
 * enclave's answer within the window, which a device whose enclave went silent chooses
 * from (decision 0078).
 */
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { natsGather, natsTransport } from "../../../client/cli/nats-connection";
import { VettidError } from "../../../lib/errors";
import { useNatsServer } from "../../harness/nats";

const SUBJECT = "vettid.v1.vault.vlt_test.req.dev-test";
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe("natsTransport and natsGather on nats-server", () => {
  const server = useNatsServer();
  const open: NatsConnection[] = [];
  const connection = async () => {
    const nc = await connect({ servers: server.current.url });
    open.push(nc);
    return nc;
  };
  afterEach(async () => {
    for (const nc of open.splice(0)) await nc.close();
  });

  /** An enclave stand-in that answers every request on the subject with `name`, after `delayMs`. */
  async function responder(name: string, delayMs = 0): Promise<void> {
    const nc = await connection();
    nc.subscribe(SUBJECT, {
      callback: (_err, msg) => {
        setTimeout(() => msg.respond(bytes(`${name}:${text(msg.data)}`)), delayMs);
      },
    });
    await nc.flush();
  }

  it("hears every answer within the window, the slow one too, where request/reply takes the first", async () => {
    // Prepare: two enclaves answer, one of them later
    await responder("fast");
    await responder("slow", 100);
    const device = await connection();
    const context = { servers: [server.current.url], dir: "/tmp/device" };

    // Act
    const first = await natsTransport(device, SUBJECT, context)(bytes("attest"), 2_000);
    const all: Uint8Array[] = [];
    for await (const answer of natsGather(device, SUBJECT, "_INBOX", context)(bytes("attest"), 500)) all.push(answer);

    // Assess
    expect(text(first)).toBe("fast:attest");
    expect(all.map(text).sort()).toEqual(["fast:attest", "slow:attest"]);
  });

  it("stops listening as soon as the device aborts, long before its window ends, and leaves no subscription behind", async () => {
    // Prepare: one enclave answers at once, another after 200 ms
    await responder("fast");
    await responder("slow", 200);
    const device = await connection();
    const context = { servers: [server.current.url], dir: "/tmp/device" };
    const listening = new AbortController();

    // Act: a window of a minute, aborted at the first answer
    const heard: string[] = [];
    for await (const answer of natsGather(device, SUBJECT, "_INBOX", context)(bytes("s"), 60_000, listening.signal)) {
      heard.push(text(answer));
      listening.abort();
    }
    await new Promise((r) => setTimeout(r, 300));
    await device.flush();

    // Assess: the gather ended with the abort; the later answer found no subscription
    expect(heard).toEqual(["fast:s"]);
    expect(device.stats().inMsgs).toBe(1);
  });

  it("ends with an error, not as a window that ran its length, when the device's connection closes", async () => {
    // Prepare: nobody answers; the device's connection closes 100 ms into a 60 s window
    const device = await connect({ servers: server.current.url });
    const context = { servers: [server.current.url], dir: "/tmp/device" };
    setTimeout(() => void device.close(), 100);

    // Act
    let failure: unknown;
    try {
      for await (const _ of natsGather(device, SUBJECT, "_INBOX", context)(bytes("s"), 60_000)) {
        // no answers expected
      }
    } catch (err) {
      failure = err;
    }

    // Assess: a device that took this end for silence would name an honest owner silent
    expect(failure).toBeInstanceOf(VettidError);
    expect((failure as VettidError).code).toBe("UNAVAILABLE");
  });

  it("hears nothing and ends with its window when no enclave listens: the server's no-responders status is passed over", async () => {
    // Prepare
    const device = await connection();
    const context = { servers: [server.current.url], dir: "/tmp/device" };

    // Act
    const heard: Uint8Array[] = [];
    for await (const answer of natsGather(device, SUBJECT, "_INBOX", context)(bytes("attest"), 300)) heard.push(answer);

    // Assess: a status ends nothing (a host could forge one), and no answer was made up
    expect(heard).toEqual([]);
  });
});

describe("natsGather on nats-server with the hosts' permissions", () => {
  // the deployment's host user (lib/nats-auth hostPermissions): receives every request,
  // answers each once (allow_responses), publishes nothing else
  const server = useNatsServer({
    jetstream: false,
    extraConfig: `
authorization {
  users = [
    { user: device, password: d, permissions: { publish: { allow: ["${SUBJECT}"] }, subscribe: { allow: ["_INBOX.>"] } } }
    { user: host, password: h, permissions: { publish: { allow: ["vettid.v1.vault.*.evt.*"] }, subscribe: { allow: ["vettid.v1.vault.*.req.*"] }, allow_responses: { max: 1, expires: "30s" } } }
  ]
}
`,
  });
  const open: NatsConnection[] = [];
  afterEach(async () => {
    for (const nc of open.splice(0)) await nc.close();
  });
  const as = async (user: string, pass: string) => {
    const nc = await connect({ servers: server.current.url, user, pass });
    open.push(nc);
    return nc;
  };

  it("hears the honest enclave's answer although another host answers first with a forged no-responders status", async () => {
    // Prepare: an honest host answers after 50 ms; the silent owner's host answers at
    // once, with one empty message carrying status 503 (which ends nats.js request-many)
    const honest = await as("host", "h");
    honest.subscribe(SUBJECT, {
      callback: (_e, m) => {
        setTimeout(() => m.respond(bytes("doc")), 50);
      },
    });
    const hostile = await as("host", "h");
    hostile.subscribe(SUBJECT, {
      callback: (_e, m) => {
        m.respond(new Uint8Array(0), { headers: headers(503, "No Responders") });
      },
    });
    await honest.flush();
    await hostile.flush();
    const device = await as("device", "d");

    // Act
    const heard: string[] = [];
    const gather = natsGather(device, SUBJECT, "_INBOX", { servers: [server.current.url], dir: "/tmp/d" });
    for await (const answer of gather(bytes("attest"), 500)) heard.push(text(answer));

    // Assess: one forged status from one host does not end the window
    expect(heard).toEqual(["doc"]);
  });
});

/**
 * The device's two ways of asking its vault over NATS (client/cli/nats-connection.ts), on
 * a real nats-server: request/reply takes the first answer; request-many hears every
 * enclave's answer within the window, which a device whose enclave went silent chooses
 * from (decision 0078).
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsGather, natsTransport } from "../../../client/cli/nats-connection";
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
    for await (const answer of natsGather(device, SUBJECT, context)(bytes("attest"), 500)) all.push(answer);

    // Assess
    expect(text(first)).toBe("fast:attest");
    expect(all.map(text).sort()).toEqual(["fast:attest", "slow:attest"]);
  });

  it("answers UNAVAILABLE at once when no enclave listens (the server's no-responders status)", async () => {
    // Prepare
    const device = await connection();
    const context = { servers: [server.current.url], dir: "/tmp/device" };

    // Act
    const heard: Uint8Array[] = [];
    const outcome = await (async () => {
      for await (const answer of natsGather(device, SUBJECT, context)(bytes("attest"), 300)) heard.push(answer);
      return heard.length;
    })().catch((err: { code?: string }) => err.code);

    // Assess
    expect(outcome).toBe("UNAVAILABLE");
  });
});

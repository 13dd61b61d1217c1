import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../../local/nats";
import { useNatsCluster, useNatsServer } from "../../harness/nats";

describe("nats-server harness: single node", () => {
  const server = useNatsServer();

  it("publishes and subscribes through the real server", async () => {
    const nc = await connect({ servers: server.current.url });
    try {
      const sub = nc.subscribe("vettid.test.pub", { max: 1 });
      nc.publish("vettid.test.pub", "hello");
      for await (const msg of sub) expect(msg.string()).toBe("hello");
    } finally {
      await nc.close();
    }
  });

  it("answers a request", async () => {
    const responder = await connect({ servers: server.current.url });
    const requester = await connect({ servers: server.current.url });
    try {
      responder.subscribe("vettid.test.echo", {
        callback: (_err, msg) => {
          msg.respond(`echo:${msg.string()}`);
        },
      });
      await responder.flush();
      const reply = await requester.request("vettid.test.echo", "ping", { timeout: 5_000 });
      expect(reply.string()).toBe("echo:ping");
    } finally {
      await requester.close();
      await responder.close();
    }
  });

  it("has JetStream enabled in its own store", async () => {
    const nc = await connect({ servers: server.current.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "HARNESS", subjects: ["vettid.test.js.>"] });
      const ack = await jetstream(nc).publish("vettid.test.js.one", "stored");
      expect(ack.seq).toBe(1);
    } finally {
      await nc.close();
    }
  });
});

describe("nats-server harness: lifecycle", () => {
  it("stops the process and frees the port, and restarts on the same port", async () => {
    const server = await startNatsServer({ jetstream: false });
    const pid = server.pid as number;
    await server.restart();
    expect(server.pid).not.toBe(pid);
    const nc = await connect({ servers: server.url });
    await nc.close();
    await server.stop();

    expect(server.pid).toBeUndefined();
    await expect(connect({ servers: server.url, reconnect: false, timeout: 1_000 })).rejects.toThrow();
  });

  it("fails with a clear error when the configuration is invalid", async () => {
    await expect(startNatsServer({ extraConfig: "this is { not valid" })).rejects.toThrow(/exited|not ready/);
  });
});

describe("nats-server harness: 3-node cluster", () => {
  const cluster = useNatsCluster(3);

  it("routes a request from one node to a responder on another", async () => {
    const [a, , c] = cluster.current.urls as [string, string, string];
    const responder = await connect({ servers: a });
    const requester = await connect({ servers: c });
    try {
      responder.subscribe("vettid.test.cluster", {
        callback: (_err, msg) => {
          msg.respond(msg.data);
        },
      });
      await responder.flush();
      // interest propagates over the routes asynchronously
      let reply: string | undefined;
      for (let i = 0; i < 50 && reply === undefined; i += 1) {
        try {
          reply = (await requester.request("vettid.test.cluster", "across", { timeout: 500 })).string();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(reply).toBe("across");
    } finally {
      await requester.close();
      await responder.close();
    }
  });
});

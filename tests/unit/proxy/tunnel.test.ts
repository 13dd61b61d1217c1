/**
 * The `tunnel` channel on both sides of a real proxy link (Unix socket, fake
 * attestation): byte streams to the allow-listed upstreams, with flow control and
 * limits, the next address when one refuses, and the host's credentials only for an
 * attested enclave. The connect timeout is the bridge's own, with a stand-in link.
 */
import { createServer, connect as netConnect, type Server, Socket } from "node:net";
import { unixSocketTransport } from "../../../lib/frame-link";
import { FRAME_VERSION, type Frame, type FrameValue } from "../../../lib/frames";
import { ProxyClient } from "../../../lib/proxy-client";
import { MAX_TUNNELS, TUNNEL_OPS } from "../../../lib/proxy-protocol";
import {
  TunnelBridge,
  type TunnelBridgeDeps,
  type TunnelLink,
  type TunnelTarget,
} from "../../../vsock-proxy/channels/tunnel";
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
} from "./fakes";

const APPROVED = "aa".repeat(48);
const credentials = { accessKeyId: "AKIDHOST", secretAccessKey: "host-secret", sessionToken: "token" };

async function echoUpstream(): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    socket.on("data", (chunk) => {
      received.push(chunk);
      socket.write(chunk);
    });
    socket.on("end", () => socket.end());
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { server, port: (server.address() as { port: number }).port, received };
}

/** A loopback port nothing listens on: a connect to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Real TCP connects, with the port of each attempt recorded in order. */
function recordingConnect(): { connect: (target: TunnelTarget) => Socket; dialled: number[] } {
  const dialled: number[] = [];
  return {
    dialled,
    connect: (target) => {
      dialled.push(target.port);
      return netConnect({ host: target.host, port: target.port });
    },
  };
}

interface SetupOptions {
  attested?: boolean;
  withTarget?: boolean;
  natsIdleTimeoutMs?: number;
  /** The proxy's upstream connections never complete (a tunnel stays opening). */
  hangingConnect?: boolean;
  /** The NATS upstream, given the echo upstream's address. */
  nats?: (echo: TunnelTarget) => TunnelBridgeDeps["targets"]["nats"];
  /** The proxy's upstream connections. */
  connect?: TunnelBridgeDeps["connect"];
}

async function setup(options: SetupOptions = {}) {
  const upstream = await echoUpstream();
  const kms = { host: "127.0.0.1", port: upstream.port };
  const natsTarget =
    options.nats?.(kms) ??
    (options.natsIdleTimeoutMs === undefined ? undefined : { ...kms, idleTimeoutMs: options.natsIdleTimeoutMs });
  const nats = natsTarget === undefined ? {} : { nats: natsTarget };
  const path = socketPath("tunnel");
  const connect = options.hangingConnect ? () => new Socket() : options.connect;
  const proxy = new VsockProxy({
    transport: unixSocketTransport(path),
    verifier: fakeVerifier([APPROVED]),
    nats: memoryNats(),
    tunnels: options.withTarget === false ? {} : { kms, ...nats },
    ...(connect ? { tunnelConnect: connect } : {}),
    credentials: async () => credentials,
    blob: memoryBlobStore(),
    served: staticServedVaults(["vault-1"]),
    logger: recordingLogger(),
    metrics: recordingMetrics(),
  });
  await proxy.start();
  const client = new ProxyClient({
    transport: unixSocketTransport(path),
    attest: async ({ nonce }) => fakeDocument(options.attested === false ? "bb".repeat(48) : APPROVED, nonce),
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    readyTimeoutMs: 2_000,
  });
  client.start();
  return {
    proxy,
    client,
    upstream,
    async stop() {
      await client.close(500);
      await proxy.stop(500);
      await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
    },
  };
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

describe("tunnel channel", () => {
  it("carries bytes both ways, larger than one chunk, and half-closes cleanly", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);
    const payload = Buffer.alloc(300 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;

    // Act
    const stream = await t.client.tunnel.open("kms");
    const echoed = readAll(stream);
    stream.end(payload);

    // Assess
    expect((await echoed).equals(payload)).toBe(true);
    expect(Buffer.concat(t.upstream.received).equals(payload)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(t.client.tunnel.openCount).toBe(0);
    await t.stop();
  });

  it("refuses an upstream the host has no address for, and more tunnels than the limit", async () => {
    // Prepare
    const none = await setup({ withTarget: false });
    await none.client.ready(2_000);
    const t = await setup();
    await t.client.ready(2_000);

    // Act
    const refused = none.client.tunnel.open("kms");
    const open = await Promise.all(Array.from({ length: MAX_TUNNELS }, () => t.client.tunnel.open("kms")));
    const beyond = t.client.tunnel.open("kms");

    // Assess
    await expect(refused).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(beyond).rejects.toMatchObject({ code: "OVERLOADED" });
    expect(open).toHaveLength(MAX_TUNNELS);
    for (const stream of open) stream.destroy();
    await none.stop();
    await t.stop();
  });

  it("refuses a nats tunnel on a host that configured no NATS target", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);

    // Act
    const refused = t.client.tunnel.open("nats");
    const kms = await t.client.tunnel.open("kms");

    // Assess
    await expect(refused).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(t.client.tunnel.openCount).toBe(1);
    kms.destroy();
    await t.stop();
  });

  it("closes an idle tunnel after its target's own idle time, not the default", async () => {
    // Prepare: the bridge default is a minute; the NATS target says 100 ms
    const t = await setup({ natsIdleTimeoutMs: 100 });
    await t.client.ready(2_000);
    const nats = await t.client.tunnel.open("nats");
    const kms = await t.client.tunnel.open("kms");
    const kmsErrors: unknown[] = [];
    kms.on("error", (err) => kmsErrors.push(err));

    // Act
    const closed = await new Promise<NodeJS.ErrnoException>((resolve) => nats.once("error", resolve));

    // Assess
    expect(closed.code).toBe("ECONNRESET");
    expect(kms.destroyed).toBe(false);
    expect(kmsErrors).toEqual([]);
    kms.destroy();
    await t.stop();
  });

  it("reaches the next NATS node when one refuses, and starts the next open at the one that accepted", async () => {
    // Prepare: the first node's port is closed, the second echoes
    const refusing = await closedPort();
    const dial = recordingConnect();
    const t = await setup({
      nats: (echo) => ({ targets: [{ host: "127.0.0.1", port: refusing }, echo] }),
      connect: dial.connect,
    });
    await t.client.ready(2_000);

    // Act
    const first = await t.client.tunnel.open("nats");
    const echoed = readAll(first);
    first.end(Buffer.from("PING\r\n"));
    const second = await t.client.tunnel.open("nats");

    // Assess: bytes flow through the second node; the next open went there directly
    expect((await echoed).toString()).toBe("PING\r\n");
    expect(Buffer.concat(t.upstream.received).toString()).toBe("PING\r\n");
    expect(dial.dialled).toEqual([refusing, t.upstream.port, t.upstream.port]);
    second.destroy();
    await t.stop();
  });

  it("fails a NATS open when every node refuses, and holds no tunnel for it", async () => {
    // Prepare
    const refusing = [await closedPort(), await closedPort()];
    const dial = recordingConnect();
    const t = await setup({
      nats: () => ({ targets: refusing.map((port) => ({ host: "127.0.0.1", port })) }),
      connect: dial.connect,
    });
    await t.client.ready(2_000);

    // Act
    const refused = t.client.tunnel.open("nats");

    // Assess: both nodes tried once; every tunnel slot is still free on the host
    await expect(refused).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(dial.dialled).toEqual(refusing);
    expect(t.client.tunnel.openCount).toBe(0);
    const open = await Promise.all(Array.from({ length: MAX_TUNNELS }, () => t.client.tunnel.open("kms")));
    expect(open).toHaveLength(MAX_TUNNELS);
    for (const stream of open) stream.destroy();
    await t.stop();
  });

  it("hands the instance credentials only to an attested enclave", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);
    const rogue = await setup({ attested: false });

    // Act
    const given = await t.client.awsCredentials();
    const refused = rogue.client.awsCredentials();

    // Assess
    expect(given).toEqual(credentials);
    await expect(refused).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    await t.stop();
    await rogue.stop();
  });

  it("fails a tunnel still opening when the link drops, with nothing left to throw later", async () => {
    // Prepare: the host never connects the upstream, so the open is pending
    const t = await setup({ hangingConnect: true });
    await t.client.ready(2_000);
    const opening = t.client.tunnel.open("kms");
    const refused = expect(opening).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    await new Promise((r) => setTimeout(r, 50));
    expect(t.client.tunnel.openCount).toBe(1);

    // Act
    await t.proxy.stop(10);

    // Assess: the open fails with the link's error; no stream error is left unheard
    await refused;
    expect(t.client.tunnel.openCount).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    await t.stop();
  });

  it("ends every tunnel with a connection reset when the link drops", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);
    const stream = await t.client.tunnel.open("kms");
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => stream.once("error", resolve));

    // Act
    await t.proxy.stop(10);

    // Assess
    expect((await failed).code).toBe("ECONNRESET");
    await t.stop();
  });
});

/** The bridge's side of an enclave link: always open until closed, records the bytes sent to the enclave. */
function stubLink(): TunnelLink & { isOpen: boolean; toEnclave: Buffer[] } {
  const link = {
    isOpen: true,
    toEnclave: [] as Buffer[],
    async request(_channel: string, type: string, body: FrameValue): Promise<FrameValue> {
      if (type === TUNNEL_OPS.data) link.toEnclave.push(Buffer.from((body as { data: Uint8Array }).data));
      return null;
    },
  };
  return link;
}

function tunnelFrame(type: string, body: FrameValue): Frame {
  return { version: FRAME_VERSION, channel: "tunnel", id: 1, type, body };
}

type Behaviour = "accept" | "refuse" | "hang";

/**
 * Connects by host name: `accept` reaches the echo upstream, `refuse` fails at once
 * (ECONNREFUSED), `hang` never completes. The behaviours may change between opens.
 */
function scriptedConnect(echoPort: number, behaviours: Record<string, Behaviour>) {
  const dialled: string[] = [];
  const connect = (target: TunnelTarget): Socket => {
    dialled.push(target.host);
    const behaviour = behaviours[target.host];
    if (behaviour === "accept") return netConnect({ host: "127.0.0.1", port: echoPort });
    const socket = new Socket();
    if (behaviour === "refuse") {
      const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      setImmediate(() => socket.destroy(refused));
    }
    return socket;
  };
  return { dialled, connect };
}

const nodes = (...hosts: string[]) => ({ targets: hosts.map((host) => ({ host, port: 4222 })) });

async function until(done: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("tunnel bridge with several addresses", () => {
  const CONNECT_TIMEOUT_MS = 50;
  let upstream: Awaited<ReturnType<typeof echoUpstream>>;
  beforeEach(async () => {
    upstream = await echoUpstream();
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
  });

  function bridge(behaviours: Record<string, Behaviour>, targets = nodes(...Object.keys(behaviours))) {
    const link = stubLink();
    const dial = scriptedConnect(upstream.port, behaviours);
    const tunnels = new TunnelBridge(link, {
      targets: { nats: targets },
      connect: dial.connect,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const open = (stream: number) =>
      Promise.resolve(tunnels.handle(tunnelFrame(TUNNEL_OPS.open, { stream, upstream: "nats" })));
    return { link, dial, tunnels, open };
  }

  it("moves on from an address that accepts nothing within the connect timeout, and carries bytes", async () => {
    // Prepare
    const b = bridge({ "nats-0": "hang", "nats-1": "accept" });
    const started = Date.now();

    // Act
    await b.open(1);
    const waited = Date.now() - started;
    await b.tunnels.handle(tunnelFrame(TUNNEL_OPS.data, { stream: 1, data: new Uint8Array(Buffer.from("PING\r\n")) }));

    // Assess
    await until(() => Buffer.concat(b.link.toEnclave).length === 6);
    expect(Buffer.concat(b.link.toEnclave).toString()).toBe("PING\r\n");
    expect(waited).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 5);
    expect(b.dial.dialled).toEqual(["nats-0", "nats-1"]);
    expect(b.tunnels.openCount).toBe(1);
    b.tunnels.dispose();
  });

  it("tries the list around once, from the address that last accepted", async () => {
    // Prepare
    const behaviours: Record<string, Behaviour> = { "nats-0": "refuse", "nats-1": "accept", "nats-2": "refuse" };
    const b = bridge(behaviours);
    await b.open(1);

    // Act: the node that accepted is lost, the first one is back
    behaviours["nats-1"] = "refuse";
    behaviours["nats-0"] = "accept";
    await b.open(2);
    await b.open(3);

    // Assess
    expect(b.dial.dialled).toEqual(["nats-0", "nats-1", "nats-1", "nats-2", "nats-0", "nats-0"]);
    expect(b.tunnels.openCount).toBe(3);
    b.tunnels.dispose();
  });

  it.each([
    [["hang", "refuse"], "UNAVAILABLE", 1],
    [["refuse", "hang"], "TIMEOUT", 1],
    [["hang", "hang"], "TIMEOUT", 2],
  ] as const)(
    "fails when %j all fail, with the last error (%s), within a connect timeout per address, holding no tunnel",
    async (script, code, timeouts) => {
      // Prepare
      const b = bridge({ "nats-0": script[0], "nats-1": script[1] });
      const started = Date.now();

      // Act
      const opening = b.open(1);

      // Assess
      await expect(opening).rejects.toMatchObject({ code });
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(timeouts * CONNECT_TIMEOUT_MS - 5);
      expect(waited).toBeLessThan(2 * CONNECT_TIMEOUT_MS + 500);
      expect(b.dial.dialled).toEqual(["nats-0", "nats-1"]);
      expect(b.tunnels.openCount).toBe(0);
    },
  );

  it("counts a tunnel against the limit while it tries its addresses", async () => {
    // Prepare: every open waits out the first node before the second accepts
    const b = bridge({ "nats-0": "hang", "nats-1": "accept" });
    const opening = Array.from({ length: MAX_TUNNELS }, (_, i) => b.open(i + 1));

    // Act
    const beyond = b.open(MAX_TUNNELS + 1);
    const reused = b.open(1);

    // Assess
    await expect(beyond).rejects.toMatchObject({ code: "OVERLOADED" });
    await expect(reused).rejects.toMatchObject({ code: "CONFLICT" });
    expect(b.tunnels.openCount).toBe(MAX_TUNNELS);
    await Promise.all(opening);
    expect(b.tunnels.openCount).toBe(MAX_TUNNELS);
    b.tunnels.dispose();
  });

  it("stops trying when the link closes or the enclave ends the tunnel while it opens", async () => {
    // Prepare: the first node would time out only after a minute
    const link = stubLink();
    const dial = scriptedConnect(upstream.port, { "nats-0": "hang", "nats-1": "accept" });
    const tunnels = new TunnelBridge(link, { targets: { nats: nodes("nats-0", "nats-1") }, connect: dial.connect });
    const open = (stream: number) =>
      Promise.resolve(tunnels.handle(tunnelFrame(TUNNEL_OPS.open, { stream, upstream: "nats" })));
    const ended = open(1);
    const dropped = open(2);

    // Act
    tunnels.handle(tunnelFrame(TUNNEL_OPS.end, { stream: 1, abort: true }));
    await expect(ended).rejects.toMatchObject({ code: "UNAVAILABLE" });
    link.isOpen = false;
    tunnels.dispose();

    // Assess: neither moved on to the second node
    await expect(dropped).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(dial.dialled).toEqual(["nats-0", "nats-0"]);
    expect(tunnels.openCount).toBe(0);
  });
});

/**
 * The enclave's own NATS connection with TLS before INFO (`handshakeFirst`, nats-server
 * ≥ 2.10's `handshake_first`; the measured configuration's `nats.handshakeFirst`). The
 * nats-server here (2.9.10) has no such mode, so a minimal server over node:tls plays
 * it: TLS first, then INFO, CONNECT and PING/PONG. Through a tunnel that records every
 * byte, the connection comes up, the host sees no INFO or any other clear byte after
 * the client hello, and a server that speaks INFO in the clear first is refused.
 */
import { createServer as createTcpServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { createDevCa, issueDevCertificate } from "../../../local/tls";
import { connectOverTunnel } from "../../../vault-enclave/nats";

const SERVER_NAME = "nats.vettid.internal";
const INFO = `INFO ${JSON.stringify({
  server_id: "NTEST",
  server_name: "handshake-first",
  version: "2.10.0",
  proto: 1,
  headers: true,
  max_payload: 1_048_576,
  tls_required: true,
})}\r\n`;

/** Answers CONNECT with nothing and each PING with PONG, after sending INFO. */
function speakNats(socket: Socket | TLSSocket): void {
  socket.on("error", () => undefined);
  socket.write(INFO);
  let buffered = "";
  socket.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("latin1");
    for (let end = buffered.indexOf("\r\n"); end !== -1; end = buffered.indexOf("\r\n")) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line === "PING") socket.write("PONG\r\n");
    }
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return (server.address() as { port: number }).port;
}

describe("the enclave's own NATS connection with TLS before INFO (handshakeFirst)", () => {
  let caPem: string;
  let tlsServer: Server;
  let tlsPort: number;
  const open = new Set<Socket>();

  beforeAll(async () => {
    const ca = await createDevCa("vettid-test-nats-ca");
    caPem = ca.pem;
    const cert = await issueDevCertificate(ca, { dns: [SERVER_NAME], usage: ["serverAuth"] });
    tlsServer = createTlsServer({ cert: cert.certPem, key: cert.keyPem, minVersion: "TLSv1.2" }, (socket) => {
      open.add(socket);
      speakNats(socket);
    });
    tlsPort = await listen(tlsServer);
  });
  afterAll(async () => {
    for (const s of open) s.destroy();
    await new Promise((r) => tlsServer.close(() => r(undefined)));
  });

  /** A tunnel to `port` through a relay that records what crosses it, as the host sees it. */
  async function recordingTunnel(port: number) {
    const seen: Buffer[] = [];
    const relay = createTcpServer((inbound) => {
      const outbound = tcpConnect(port, "127.0.0.1");
      for (const s of [inbound, outbound]) {
        open.add(s);
        s.on("error", () => undefined);
      }
      inbound.on("data", (chunk: Buffer) => {
        seen.push(Buffer.from(chunk));
        outbound.write(chunk);
      });
      outbound.on("data", (chunk: Buffer) => {
        seen.push(Buffer.from(chunk));
        inbound.write(chunk);
      });
      inbound.once("close", () => outbound.destroy());
      outbound.once("close", () => inbound.destroy());
    });
    const relayPort = await listen(relay);
    return {
      seen: () => Buffer.concat(seen),
      close: () => new Promise((r) => relay.close(() => r(undefined))),
      open: async () => {
        const socket = tcpConnect(relayPort, "127.0.0.1");
        open.add(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", () => resolve());
          socket.once("error", reject);
        });
        return socket;
      },
    };
  }

  it("connects with TLS before INFO, the host seeing no clear byte of the protocol", async () => {
    // Prepare
    const tunnel = await recordingTunnel(tlsPort);

    // Act
    const nc = await connectOverTunnel({
      openTunnel: tunnel.open,
      tls: { servername: SERVER_NAME, caPem, handshakeFirst: true },
      connection: { reconnect: false, timeout: 5_000 },
    });
    const rtt = await nc.rtt();
    const info = nc.info;
    await nc.close();
    for (const s of open) s.destroy();
    await tunnel.close();

    // Assess: the protocol ran (INFO, CONNECT, PING/PONG), all of it inside TLS
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(info?.server_name).toBe("handshake-first");
    const seen = tunnel.seen();
    expect(seen[0]).toBe(0x16); // the first byte is a TLS handshake record
    for (const word of ["INFO", "CONNECT", "PING", "PONG"]) expect(seen.includes(word)).toBe(false);
  });

  it("refuses a server that speaks INFO in the clear first when TLS is to come first", async () => {
    // Prepare: a plain server speaking INFO before any TLS (what a host could put in front)
    const plain = createTcpServer((socket) => {
      open.add(socket);
      speakNats(socket);
    });
    const port = await listen(plain);
    const tunnel = await recordingTunnel(port);

    // Act
    const outcome = await connectOverTunnel({
      openTunnel: tunnel.open,
      tls: { servername: SERVER_NAME, caPem, handshakeFirst: true },
      connection: { reconnect: false, timeout: 3_000 },
    }).then(
      async (nc) => {
        await nc.close();
        return "connected";
      },
      (err: unknown) => err,
    );
    for (const s of open) s.destroy();
    await tunnel.close();
    await new Promise((r) => plain.close(() => r(undefined)));

    // Assess: no connection; the client's first bytes were a TLS hello, never CONNECT
    expect(outcome).not.toBe("connected");
    expect((outcome as Error).message).toEqual(expect.any(String));
    expect(tunnel.seen().includes("CONNECT")).toBe(false);
  });
});

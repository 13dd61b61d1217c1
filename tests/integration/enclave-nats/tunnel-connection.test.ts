/**
 * The runtime's own NATS connection (vault-enclave/nats): nats.js over a byte tunnel
 * the host relays, TLS ending in the enclave, against a real nats-server 2.9.10 whose
 * client port requires TLS (INFO first, as 2.9 speaks). The relay here plays the host:
 * it records every byte it forwards, and in the attack cases answers in the server's
 * name, strips TLS from INFO, or forwards to a server with another certificate.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type NatsServer, startNatsServer } from "../../../local/nats";
import { createDevCa, issueDevCertificate } from "../../../local/tls";
import { connectOverTunnel, MAX_INFO_LINE_BYTES } from "../../../vault-enclave/nats";

const SERVER_NAME = "nats.vettid.test";

/** A host-side relay: every tunnel becomes a TCP connection to `target`; all bytes recorded. */
class Relay {
  readonly seen: Buffer[] = [];
  private readonly sockets = new Set<Socket>();
  tunnels = 0;

  constructor(private readonly target: () => number) {}

  open = async (): Promise<Duplex> => {
    this.tunnels += 1;
    const upstream = tcpConnect(this.target(), "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      upstream.once("connect", resolve);
      upstream.once("error", reject);
    });
    upstream.on("data", (chunk: Buffer) => this.seen.push(Buffer.from(chunk)));
    const write = upstream.write.bind(upstream);
    upstream.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
      this.seen.push(Buffer.from(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof upstream.write;
    this.sockets.add(upstream);
    upstream.once("close", () => this.sockets.delete(upstream));
    return upstream;
  };

  /** Cuts every tunnel open now (a host restarting its proxy). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  bytes(): Buffer {
    return Buffer.concat(this.seen);
  }
}

/** A TCP server that speaks as NATS without TLS: the host answering in the server's name. */
function fakePlainNats(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.write(
      `INFO ${JSON.stringify({ server_id: "FAKE", version: "2.9.10", proto: 1, headers: true, max_payload: 1048576, tls_required: false })}\r\n`,
    );
    socket.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("PING")) socket.write("PONG\r\n");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

/**
 * A TCP server that starts an INFO line and never ends it: 64 KiB chunks, no CRLF, for as
 * long as the client reads. Counts what it managed to write.
 */
function endlessInfo(): Promise<{ server: Server; port: number; written: () => number }> {
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    socket.write('INFO {"server_id":"');
    const pump = () => {
      while (!socket.destroyed && written < 256 * 1024 * 1024) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
    };
    pump();
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, port: (server.address() as { port: number }).port, written: () => written }),
    ),
  );
}

/**
 * A host that forwards to the genuine server but, in the clear part of the connection,
 * appends `injection` to the server's INFO chunk: bytes that nats.js would parse as the
 * server's own if it kept them (a second INFO, a PONG, a MSG).
 */
function injectingHost(target: () => number, injection: string): Promise<{ server: Server; port: number }> {
  const server = createServer((client) => {
    client.on("error", () => undefined);
    const upstream = tcpConnect(target(), "127.0.0.1");
    upstream.on("error", () => client.destroy());
    let injected = false;
    upstream.on("data", (chunk: Buffer) => {
      if (!injected && chunk.includes(Buffer.from("\r\n"))) {
        injected = true;
        client.write(Buffer.concat([chunk, Buffer.from(injection)]));
      } else client.write(chunk);
    });
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

describe("the enclave's own NATS connection through a host tunnel", () => {
  let dir: string;
  let nats: NatsServer;
  let other: NatsServer;
  let caPem: string;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vettid-tunnel-nats-"));
    const ca = await createDevCa("vettid-test-nats-ca");
    caPem = ca.pem;
    const cert = await issueDevCertificate(ca, { dns: [SERVER_NAME], usage: ["serverAuth"] });
    writeFileSync(join(dir, "server.pem"), cert.certPem);
    writeFileSync(join(dir, "server-key.pem"), cert.keyPem, { mode: 0o600 });
    // A server of another CA, with the right name: what a host could stand up itself.
    const rogueCa = await createDevCa("rogue-ca");
    const rogue = await issueDevCertificate(rogueCa, { dns: [SERVER_NAME], usage: ["serverAuth"] });
    writeFileSync(join(dir, "rogue.pem"), rogue.certPem);
    writeFileSync(join(dir, "rogue-key.pem"), rogue.keyPem, { mode: 0o600 });
    const tlsBlock = (name: string) =>
      `tls {\n  cert_file: ${JSON.stringify(join(dir, `${name}.pem`))}\n  key_file: ${JSON.stringify(join(dir, `${name}-key.pem`))}\n}`;
    nats = await startNatsServer({ extraConfig: tlsBlock("server") });
    other = await startNatsServer({ extraConfig: tlsBlock("rogue"), jetstream: false });
  });

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await nats?.stop();
    await other?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const connectThrough = async (relay: { open: () => Promise<Duplex> }, servername = SERVER_NAME) => {
    const nc = await connectOverTunnel({
      openTunnel: relay.open,
      tls: { servername, caPem, handshakeFirst: false },
      connection: { name: "vault-runtime", maxReconnectAttempts: -1, reconnectTimeWait: 100 },
    });
    open.push(nc);
    return nc;
  };

  /** Asserts that a connection through `relay` is refused, and that no CONNECT reached its far end. */
  const expectRefused = async (relay: Relay, servername: string, message?: RegExp) => {
    const attempt = connectOverTunnel({
      openTunnel: relay.open,
      tls: { servername, caPem, handshakeFirst: false },
      connection: { maxReconnectAttempts: 0, timeout: 2_000 },
    });
    if (message) await expect(attempt).rejects.toThrow(message);
    else await expect(attempt).rejects.toThrow();
    expect(relay.bytes().includes(Buffer.from("CONNECT"))).toBe(false);
  };

  it("works end to end (a KV record written and read) while the host sees only ciphertext after INFO", async () => {
    const relay = new Relay(() => nats.port);
    const nc = await connectThrough(relay);
    const bucket = await new Kvm(nc).create("vettid-tunnel-test", { history: 1 });
    const canary = `canary-${Date.now()}-witness-record`;
    await bucket.put("vlt_0001", new TextEncoder().encode(canary));
    const entry = await bucket.get("vlt_0001");
    expect(new TextDecoder().decode(entry?.value)).toBe(canary);
    const seen = relay.bytes();
    // The server's INFO crossed in the clear (NATS upgrades after it); nothing else did.
    expect(seen.toString("latin1")).toContain("INFO ");
    expect(seen.includes(Buffer.from(canary))).toBe(false);
    expect(seen.includes(Buffer.from("vettid-tunnel-test"))).toBe(false);
    expect(seen.includes(Buffer.from("CONNECT"))).toBe(false);
    expect(relay.tunnels).toBe(1);
  });

  it("reconnects through a new tunnel when the host cuts the old one", async () => {
    const relay = new Relay(() => nats.port);
    const nc = await connectThrough(relay);
    await nc.flush();
    relay.cut();
    const reconnected = (async () => {
      for await (const status of nc.status()) if (status.type === "reconnect") return true;
      return false;
    })();
    await expect(reconnected).resolves.toBe(true);
    await nc.flush();
    expect(relay.tunnels).toBeGreaterThanOrEqual(2);
  });

  it("refuses a host that answers as NATS without TLS (INFO with tls_required false)", async () => {
    const fake = await fakePlainNats();
    try {
      // Nothing the client sent reached the fake server: no CONNECT, no credentials.
      await expectRefused(new Relay(() => fake.port), SERVER_NAME, /tls/i);
    } finally {
      fake.server.close();
    }
  });

  it("refuses a host that sends an INFO line without end, having read at most the bound plus a chunk", async () => {
    const endless = await endlessInfo();
    try {
      const relay = new Relay(() => endless.port);
      await expectRefused(relay, SERVER_NAME, /before its first line ended/);
      // What reached the client: the bound plus at most one read of the socket (64 KiB).
      const received = relay.bytes().length;
      expect(received).toBeGreaterThan(MAX_INFO_LINE_BYTES);
      expect(received).toBeLessThanOrEqual(MAX_INFO_LINE_BYTES + 64 * 1024 + 64);
    } finally {
      endless.server.close();
    }
  });

  it("refuses a server whose certificate chains to another CA, though it carries the right name", async () => {
    await expectRefused(new Relay(() => other.port), SERVER_NAME);
  });

  it("refuses a host that appends protocol lines to the clear INFO (a second INFO, a PONG) before TLS", async () => {
    const injections = [
      `INFO ${JSON.stringify({ server_id: "HOST", version: "2.9.10", proto: 1, headers: true, max_payload: 8, tls_required: true })}\r\n`,
      "PONG\r\n",
      "-ERR 'Authorization Violation'\r\n",
    ];
    for (const injection of injections) {
      const host = await injectingHost(() => nats.port, injection);
      try {
        await expectRefused(new Relay(() => host.port), SERVER_NAME, /after its INFO line/);
      } finally {
        host.server.close();
      }
    }
  });

  it("refuses the genuine server when the measured name is not on its certificate", async () => {
    await expectRefused(new Relay(() => nats.port), "other.vettid.test");
  });
});

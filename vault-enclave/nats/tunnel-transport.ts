import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import {
  type ConnectionOptions,
  type NatsConnection,
  NatsConnectionImpl,
  setTransportFactory,
} from "@nats-io/transport-node";
import { NodeTransport } from "@nats-io/transport-node/lib/node_transport";

/** How the enclave's own NATS connection checks the server it reached through the host. */
export interface TunnelNatsTls {
  /** The name the server certificate must carry; from the measured configuration, never the host. */
  servername: string;
  /** The only roots trusted for that certificate (PEM). */
  caPem: string;
  /** TLS before the server's INFO (nats-server's `handshake_first`); INFO first otherwise (nats-server 2.9). */
  handshakeFirst: boolean;
}

/** Options of {@link connectOverTunnel}. */
export interface TunnelNatsOptions {
  /** Opens one byte stream to a NATS server through the host (lib/proxy-client `tunnel.open("nats")`). */
  openTunnel(): Promise<Duplex>;
  tls: TunnelNatsTls;
  /** The rest of the nats.js options (authenticator, name, reconnect settings); `servers` and `tls` are set here. */
  connection: Omit<ConnectionOptions, "servers" | "tls">;
}

/**
 * The label the connection's one server goes by. The host decides where a tunnel goes;
 * nats.js needs a URL all the same, and this one is never dialled or resolved.
 */
export const TUNNEL_SERVER_LABEL = "tls://nats-tunnel.vettid.invalid:4222";

/**
 * Most bytes the host may relay before the first CRLF of a connection that speaks INFO
 * first. Derivation: a nats-server 2.9/2.10 INFO is about 500 bytes plus about 25 per
 * gossiped client URL; 16 KiB covers several hundred nodes. nats.js itself buffers the
 * line until its CRLF without a bound.
 */
export const MAX_INFO_LINE_BYTES = 16 * 1024;

/**
 * Watches `stream` until the first CRLF and destroys it (with an error) once more than
 * `limit` bytes arrived before it, so a host that sends an endless INFO line costs this
 * process at most `limit` plus one tunnel chunk. Registering the listener puts a paused
 * stream into flowing mode on the next tick: a caller must attach its own `data`
 * listener in the same tick (see {@link TunnelTransport.peekInfo}). The listener removes
 * itself at the first CRLF, which may arrive split across two chunks. Returns a function
 * that removes it early.
 */
export function boundFirstLine(stream: Duplex, limit = MAX_INFO_LINE_BYTES): () => void {
  let seen = 0;
  let lastByte = -1;
  const stop = () => stream.off("data", watch);
  function watch(chunk: Buffer | string) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    // The line ends at a CRLF split across the previous chunk and this one, or in this one.
    const splitEnd = lastByte === 0x0d && bytes[0] === 0x0a;
    const lineEnd = splitEnd ? -1 : bytes.indexOf("\r\n");
    if (splitEnd || lineEnd !== -1) {
      stop();
      if ((splitEnd ? seen - 1 : seen + lineEnd) > limit) {
        stream.destroy(new Error(`NATS server sent more than ${limit} bytes before its first line ended`));
      }
      return;
    }
    seen += bytes.length;
    if (bytes.length > 0) lastByte = bytes[bytes.length - 1] ?? -1;
    // A CR that ends this chunk may be the start of the CRLF: it is not counted yet.
    if (seen - (lastByte === 0x0d ? 1 : 0) > limit) {
      stop();
      stream.destroy(new Error(`NATS server sent more than ${limit} bytes before its first line ended`));
    }
  }
  stream.on("data", watch);
  return stop;
}

/**
 * A nats.js Node transport whose byte stream is a tunnel through the host instead of a
 * TCP socket it dials. Everything else — the INFO exchange, the TLS upgrade with
 * `rejectUnauthorized`, the protocol — is the library's own: only where the bytes go
 * changes. Before TLS the host sees INFO (which it could rewrite, gaining nothing: a
 * server that does not offer TLS is refused, see {@link connectOverTunnel}) but cannot
 * append to (any byte after the INFO line is refused, see `peekInfo`); after it, only
 * ciphertext.
 */
class TunnelTransport extends NodeTransport {
  constructor(private readonly open: () => Promise<Duplex>) {
    super();
  }

  override async connect(hp: { hostname: string; port: number; tlsName: string }, options: ConnectionOptions) {
    // TLS first: node:tls runs over the socket already set (NodeTransport.tlsFirst).
    if (typeof options.tls === "object" && options.tls?.handshakeFirst === true) {
      this.socket = (await this.open()) as Socket;
    }
    return super.connect(hp, options);
  }

  override dial(): Promise<Socket> {
    return this.open().then((stream) => stream as Socket);
  }

  /**
   * nats.js buffers the INFO line until its CRLF with no bound (and concatenates the
   * buffer again for every chunk). With INFO first that line is the host's to send, so
   * it is bounded here: the watcher goes on in the same tick as the library's own
   * listener, so neither misses a byte, and destroying the stream makes the library's
   * close handler reject the connect.
   */
  override async peekInfo() {
    boundFirstLine(this.socket);
    const info = await super.peekInfo();
    // The library keeps the chunks it read and later parses them as the server's own
    // protocol, together with what arrives through TLS. A server that speaks INFO first
    // sends that one line and waits for the TLS handshake, so any byte after it came from
    // the host (a second INFO, a PONG, a MSG, an -ERR): refused, not parsed.
    const clear = Buffer.concat(this.yields);
    const extra = clear.length - (clear.indexOf("\r\n") + 2);
    if (extra > 0) {
      this.socket.destroy();
      throw new Error(`NATS server sent ${extra} bytes after its INFO line before TLS`);
    }
    return info;
  }
}

/**
 * Connects nats.js through a byte tunnel, TLS ending here: the server's certificate must
 * chain to `tls.caPem` alone and carry `tls.servername`, so the host, which only
 * forwards bytes, can delay or cut the connection but cannot read it, answer in the
 * server's name, or replay an old answer. A server (or a host rewriting INFO) that does
 * not offer TLS is refused by nats.js (`server does not support 'tls'`) because the
 * `tls` option is always set.
 *
 * nats.js keeps its transport factory in one module-wide slot that its own `connect`
 * overwrites; the enclave's process has no other NATS client, and this sets the slot
 * again for every connection it makes (reconnects call the factory again, so a process
 * that also used `connect` for another server would send this connection's reconnects
 * there: the tunnel is the only NATS path of the runtime).
 */
export async function connectOverTunnel(options: TunnelNatsOptions): Promise<NatsConnection> {
  setTransportFactory({
    factory: () => new TunnelTransport(options.openTunnel),
    // The label is never resolved: the host picks the server.
    dnsResolveFn: (host: string) => Promise.resolve([host]),
  });
  const tls = {
    ca: options.tls.caPem,
    servername: options.tls.servername,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    ...(options.tls.handshakeFirst ? { handshakeFirst: true } : {}),
  } as NonNullable<ConnectionOptions["tls"]>;
  return NatsConnectionImpl.connect({
    ...options.connection,
    servers: TUNNEL_SERVER_LABEL,
    tls,
    // One label stands for whatever server the host forwards to: no gossiped URLs.
    ignoreClusterUpdates: true,
  });
}

import type { Duplex } from "node:stream";

/**
 * A byte-stream transport between the enclave and the proxy. The proxy listens,
 * the enclave connects; both get plain duplex byte streams and run frames over
 * them. Development and tests use Unix domain sockets ({@link unixSocketTransport});
 * production bridges AF_VSOCK to a Unix socket outside this process
 * (docs/decisions/0030-vsock-bridging.md), so no code here opens AF_VSOCK.
 */
export interface Transport {
  /** Accepts connections; `onConnection` gets each accepted stream. */
  listen(onConnection: (stream: Duplex) => void): Promise<TransportListener>;
  /** Opens one connection to the listening side. */
  connect(): Promise<Duplex>;
  /** A human-readable address for logs (never secret). */
  readonly address: string;
}

/** A listening transport endpoint. */
export interface TransportListener {
  /** Stops accepting connections; open streams stay up (their owners close them). */
  close(): Promise<void>;
}

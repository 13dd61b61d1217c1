import type { Duplex } from "node:stream";

/**
 * A byte-stream transport between the enclave and the proxy. The proxy listens,
 * the enclave connects; both get plain duplex byte streams and run frames over
 * them. Development and tests use Unix domain sockets (`unixSocketTransport`). In
 * production the enclave connects with `vsockTransport`, which starts socat from the
 * enclave image to reach AF_VSOCK, and only inside an enclave; the host's proxy listens
 * on a Unix socket that the host's socat bridges from AF_VSOCK
 * (docs/decisions/0052-vsock-bridge-in-the-enclave-image.md). No code here opens an
 * AF_VSOCK socket itself.
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

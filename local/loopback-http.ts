import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A local HTTP server bound to loopback. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  port: number;
  /** Closes open connections and the listener. */
  stop(): Promise<void>;
}

/**
 * Binds `server` to 127.0.0.1 on `port` (0 = a free one) and resolves once it
 * listens. Shared by the local stand-ins and the REST adapter (dev only).
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        // dynalite hands over a server that may predate closeAllConnections
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { VettidError } from "../errors";
import type { Transport, TransportListener } from "./transport";

/**
 * Longest Unix socket path Linux accepts (`sun_path` is 108 bytes including the
 * terminating NUL).
 */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * A {@link Transport} over a Unix domain socket at `path`. The listener removes a
 * stale socket file left by a crashed process, and restricts the new one to its
 * owner (mode 0600): only the proxy's user may talk to the enclave side.
 */
export function unixSocketTransport(path: string): Transport {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new VettidError("CONFIG_INVALID", `socket path longer than ${MAX_SOCKET_PATH_BYTES} bytes: ${path}`);
  }
  return {
    address: `unix:${path}`,
    async listen(onConnection: (stream: Duplex) => void): Promise<TransportListener> {
      removeStaleSocket(path);
      const server = createServer((socket: Socket) => onConnection(socket));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, () => {
          server.off("error", reject);
          resolve();
        });
      });
      chmodSync(path, 0o600);
      return {
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
          }),
      };
    },
    connect(): Promise<Duplex> {
      return new Promise((resolve, reject) => {
        const socket = createConnection({ path });
        const onError = (err: Error) => {
          socket.destroy();
          reject(new VettidError("UNAVAILABLE", `cannot connect to ${path}`, { cause: err }));
        };
        socket.once("error", onError);
        socket.once("connect", () => {
          socket.off("error", onError);
          resolve(socket);
        });
      });
    },
  };
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

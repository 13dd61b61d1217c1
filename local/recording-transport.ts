import { Duplex } from "node:stream";
import type { Transport } from "../lib/frame-link";

/**
 * Wraps a transport so every byte written and read on the streams it connects is
 * appended to `seen` (DEV ONLY): the local journey and the tests use it to show what
 * the host side of the proxy link can observe.
 */
export function recordingTransport(inner: Transport, seen: Buffer[]): Transport {
  return {
    address: inner.address,
    listen: (onConnection) => inner.listen(onConnection),
    async connect() {
      const socket = await inner.connect();
      const tap = new Duplex({
        write(chunk: Buffer, _encoding, callback) {
          seen.push(Buffer.from(chunk));
          socket.write(chunk, callback);
        },
        read() {
          socket.resume();
        },
        final(callback) {
          socket.end(callback);
        },
        destroy(err, callback) {
          socket.destroy(err ?? undefined);
          callback(err);
        },
      });
      socket.on("data", (chunk: Buffer) => {
        seen.push(Buffer.from(chunk));
        if (!tap.push(chunk)) socket.pause();
      });
      socket.on("end", () => tap.push(null));
      socket.on("close", () => tap.destroy());
      return tap;
    },
  };
}

/**
 * How the reference client reaches NATS: `tls://` servers (the public NLB, which
 * terminates TLS) TLS-first, before the server says anything; `nats://` (the local
 * topology) in the clear.
 */
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { connectDevice, deviceConnectionOptions } from "../../../client/cli/nats-connection";
import type { DeviceFile } from "../../../client/device";

const device = (servers: string[]) =>
  ({ deviceId: "dev_0123456789abcdef0123456789abcdef", nats: { servers } }) as unknown as DeviceFile;

describe("reference client NATS connection", () => {
  it("sends a TLS ClientHello first to a tls:// server that says nothing, and gives up in one typed line", async () => {
    // Prepare: a server that keeps silent (a TLS-terminating load balancer waits for the client)
    const first: Buffer[] = [];
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.once("data", (data) => {
        first.push(data);
        socket.destroy();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    try {
      // Act
      const attempt = connectDevice("/nonexistent", device([`tls://127.0.0.1:${port}`]));
      // Assess: the first bytes are a TLS handshake record (0x16, version 3.x), not a NATS CONNECT
      await expect(attempt).rejects.toMatchObject({ code: expect.stringMatching(/^(UNAVAILABLE|TIMEOUT)$/) });
      expect(first[0]?.[0]).toBe(0x16);
      expect(first[0]?.[1]).toBe(0x03);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it("reaches tls:// servers TLS-first against the public roots, nats:// ones in the clear, never a mix", () => {
    expect(deviceConnectionOptions(device(["tls://nats.vettid.example:4222"])).tls).toEqual({ handshakeFirst: true });
    expect(deviceConnectionOptions(device(["nats://127.0.0.1:4222"])).tls).toBeUndefined();
    expect(() => deviceConnectionOptions(device(["tls://a:4222", "nats://b:4222"]))).toThrow(
      /mix tls:\/\/ and nats:\/\//,
    );
  });
});

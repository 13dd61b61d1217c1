import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { nodeHttpTransport, TransportError } from "../../../../lib/aws-json";

/** A loopback server whose answer each test sets. */
describe("node:http(s) transport", () => {
  let server: Server;
  let url: URL;
  let answer: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void;
  const connections = new Set<import("node:net").Socket>();
  beforeAll(async () => {
    server = createServer((req, res) => answer(req, res));
    server.on("connection", (s) => {
      connections.add(s);
      s.on("close", () => connections.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(async () => {
    for (const s of connections) s.destroy();
    await new Promise((r) => server.close(r));
  });

  test("sends headers and body and returns status, lowercase headers and body; reuses the connection", async () => {
    // Prepare
    const seen: { target?: string; body: string; port: number }[] = [];
    answer = (req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        seen.push({ target: req.headers["x-amz-target"] as string, body, port: req.socket.remotePort ?? 0 });
        res.writeHead(200, { "X-Amzn-RequestId": "r1", "content-type": "application/x-amz-json-1.0" });
        res.end('{"ok":true}');
      });
    };
    const transport = nodeHttpTransport();
    // Act
    const first = await transport.send({ url, method: "POST", headers: { "x-amz-target": "A.B" }, body: "{}" });
    await transport.send({ url, method: "POST", headers: { "x-amz-target": "A.C" }, body: '{"x":1}' });
    transport.close();
    // Assess
    expect(first).toEqual({
      status: 200,
      headers: expect.objectContaining({ "x-amzn-requestid": "r1" }),
      body: '{"ok":true}',
    });
    expect(seen.map((s) => [s.target, s.body])).toEqual([
      ["A.B", "{}"],
      ["A.C", '{"x":1}'],
    ]);
    expect(seen[0]?.port).toBe(seen[1]?.port);
  });

  test("a reply larger than the bound is refused without buffering it all", async () => {
    answer = (_req, res) => {
      res.writeHead(200);
      res.write("x".repeat(4096));
      res.end("y".repeat(4096));
    };
    const transport = nodeHttpTransport({ maxResponseBytes: 1024 });
    const err = await transport.send({ url, method: "POST", headers: {}, body: "" }).catch((e: unknown) => e);
    transport.close();
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ code: "ERESPONSETOOLARGE" });
  });

  test("a server that stops answering times the request out", async () => {
    answer = () => {
      // never answers
    };
    const transport = nodeHttpTransport({ timeoutMs: 50 });
    const err = await transport.send({ url, method: "POST", headers: {}, body: "" }).catch((e: unknown) => e);
    transport.close();
    expect(err).toMatchObject({ name: "TransportError", code: "ETIMEDOUT" });
  });

  test("a refused connection is a TransportError with Node's code", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const transport = nodeHttpTransport();
    const err = await transport
      .send({ url: new URL(`http://127.0.0.1:${port}/`), method: "POST", headers: {}, body: "" })
      .catch((e: unknown) => e);
    transport.close();
    expect(err).toMatchObject({ name: "TransportError", code: "ECONNREFUSED" });
  });
});

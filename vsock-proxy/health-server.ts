import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthReport } from "./proxy";

/** A running health endpoint. */
export interface HealthServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Hosts the endpoint may bind: loopback only, so only the supervisor and the local LB agent reach it. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Serves the proxy's health on loopback HTTP:
 * - `GET /health` → 200 when an attested enclave is connected and NATS is up, else
 *   503; the body is the {@link HealthReport} JSON with the counters (frames, bytes,
 *   errors, in-flight, reconnects, …). It holds no ids of vaults or devices.
 * - `GET /livez` → 200 while the process runs (for the supervisor's restart logic).
 */
export async function startHealthServer(
  report: () => HealthReport,
  port = 0,
  host = "127.0.0.1",
): Promise<HealthServer> {
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`health endpoint must bind loopback, not ${host}`);
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    if (req.url === "/livez") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (req.url === "/health") {
      const body = report();
      res
        .writeHead(body.status === "ok" ? 200 : 503, {
          "content-type": "application/json",
          "cache-control": "no-store",
        })
        .end(JSON.stringify(body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

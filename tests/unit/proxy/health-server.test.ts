import { createProxyCounters } from "../../../vsock-proxy/counters";
import { startHealthServer } from "../../../vsock-proxy/health-server";
import type { HealthReport } from "../../../vsock-proxy/proxy";

const report = (status: HealthReport["status"]): HealthReport => ({
  status,
  enclaves: { connected: 1, attested: status === "ok" ? 1 : 0 },
  nats: "connected",
  counters: createProxyCounters(),
  uptimeMs: 1,
});

describe("health endpoint", () => {
  it("answers 200 when healthy, 503 when degraded, and /livez always", async () => {
    let current = report("ok");
    const server = await startHealthServer(() => current);
    try {
      const ok = await fetch(`${server.url}/health`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: "ok", counters: { framesIn: 0, reconnects: 0, inFlight: 0 } });
      current = report("degraded");
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
      expect((await fetch(`${server.url}/livez`)).status).toBe(200);
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
      expect((await fetch(`${server.url}/health`, { method: "POST" })).status).toBe(405);
    } finally {
      await server.stop();
    }
  });

  it("refuses to bind anything but loopback", async () => {
    await expect(startHealthServer(() => report("ok"), 0, "0.0.0.0")).rejects.toThrow(/loopback/);
  });
});

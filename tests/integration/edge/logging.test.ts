import { createEdgeClient, generateDeviceKeys } from "../../../client/device";
import { useEdge } from "./support";

describe("edge logs: structured, correlated, free of secrets", () => {
  const edge = useEdge({ logLevel: "DEBUG" });

  test("request lines carry route, request and correlation ids; codes, JWTs, seeds and tokens never appear", async () => {
    // Prepare
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = jest
      .spyOn(process.stdout, "write")
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      });
    const keys = generateDeviceKeys();
    const url = edge.current.edge.rest.url;
    let secrets: string[] = [];
    try {
      // Act
      const admin = createEdgeClient({ baseUrl: url, adminToken: edge.current.edge.adminToken });
      const { code } = await admin.createInvitation({ note: "log test" });
      const device = createEdgeClient({ baseUrl: url });
      const enrolled = await device.enroll(code, keys);
      const refreshed = await device.refreshCredentials(enrolled.deviceId, keys);
      await edge.current.request("POST", "/v1/enrollments", {
        json: { invitationCode: code, device: { signingKey: "x" } },
        headers: { "x-correlation-id": "corr-123" },
      });
      secrets = [
        code,
        enrolled.nats.jwt,
        refreshed.nats.jwt,
        keys.nats.seed,
        keys.signing.seed,
        edge.current.edge.adminToken,
      ];
    } finally {
      spy.mockRestore();
    }
    // Assess
    const json = lines.flatMap((l) => l.split("\n")).filter((l) => l.startsWith("{"));
    const records = json.map((l) => JSON.parse(l) as Record<string, unknown>);
    const done = records.filter((r) => r.message === "request done");
    expect(done.length).toBeGreaterThanOrEqual(4);
    expect(done.every((r) => typeof r.requestId === "string" && typeof r.route === "string")).toBe(true);
    expect(records.some((r) => r.correlationId === "corr-123")).toBe(true);
    for (const secret of secrets) expect(json.join("\n")).not.toContain(secret);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { route } from "../../../functions/manifest/get";
import { createManifestSource } from "../../../functions/manifest/source";
import type { EdgeEvent } from "../../../functions/middleware/types";
import { buildHandler } from "../../../functions/shared/handler";
import { lambdaContext, toApiGatewayEventV2 } from "../../../local/rest";

describe("GET /v1/pcr-manifest", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-manifest-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const logger = new Logger({ serviceName: "test", logLevel: "CRITICAL" });

  function get(source: string, headers: Record<string, string> = {}) {
    const handler = buildHandler(route, {
      environment: "local",
      logger,
      context: () => ({ manifest: createManifestSource(source) }),
    });
    const event = toApiGatewayEventV2(
      { method: "GET", url: "/v1/pcr-manifest", headers, body: Buffer.alloc(0), sourceIp: "127.0.0.1" },
      "GET /v1/pcr-manifest",
      undefined,
    ) as EdgeEvent;
    return handler(event, lambdaContext("pcr-manifest-get", "r"));
  }

  test("serves the published manifest with a strong ETag, public caching and 304 on a match", async () => {
    // Prepare
    const path = join(dir, "manifest.json");
    const header = Buffer.from(JSON.stringify({ alg: "ES256", kid: "k1" })).toString("base64url");
    const text = JSON.stringify({ payload: "e30", signatures: [{ protected: header, signature: "c2ln" }] });
    writeFileSync(path, text);
    // Act
    const first = await get(path);
    const etag = String(first.headers?.etag);
    const again = await get(path, { "if-none-match": etag });
    const other = await get(path, { "if-none-match": '"other"' });
    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.body).toBe(text);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers?.["cache-control"]).toBe("public, max-age=60");
    expect(again.statusCode).toBe(304);
    expect(again.body).toBeUndefined();
    expect(other.statusCode).toBe(200);
  });

  test("a missing manifest is 404, a corrupt one 503 (never served as if valid)", async () => {
    // Prepare
    const corrupt = join(dir, "corrupt.json");
    writeFileSync(corrupt, '{"protected":"e30","payload":"e30","signature":"c2ln"}'); // version 1 (flattened)
    // Act
    const missing = await get(join(dir, "absent.json"));
    const broken = await get(corrupt);
    // Assess
    expect(missing.statusCode).toBe(404);
    expect(broken.statusCode).toBe(503);
    expect(JSON.parse(String(broken.body)).code).toBe("UNAVAILABLE");
  });
});

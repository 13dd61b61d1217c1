import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

  function get(source: string, headers: Record<string, string> = {}, query = "") {
    const handler = buildHandler(route, {
      environment: "local",
      logger,
      context: () => ({ manifest: createManifestSource(source) }),
    });
    const event = toApiGatewayEventV2(
      { method: "GET", url: `/v1/pcr-manifest${query}`, headers, body: Buffer.alloc(0), sourceIp: "127.0.0.1" },
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

  test("serves serial N of the history beside the manifest with ?serial=N, for a device catching up", async () => {
    // Prepare
    const base = mkdtempSync(join(dir, "history-"));
    mkdirSync(join(base, "manifests"));
    const header = Buffer.from(JSON.stringify({ alg: "ES256", kid: "k1" })).toString("base64url");
    const doc = (payload: string) =>
      JSON.stringify({ payload, signatures: [{ protected: header, signature: "c2ln" }] });
    writeFileSync(join(base, "pcr-manifest.json"), doc("Y3VycmVudA"));
    writeFileSync(join(base, "manifests", "00000002.json"), doc("c2VyaWFsIDI"));
    const source = join(base, "pcr-manifest.json");
    // Act
    const current = await get(source);
    const two = await get(source, {}, "?serial=2");
    const absent = await get(source, {}, "?serial=3");
    const bad = await Promise.all(
      ["?serial=0", "?serial=..%2F..%2Fetc", "?serial=1e3", "?other=1"].map((q) => get(source, {}, q)),
    );
    // Assess
    expect(JSON.parse(String(current.body)).payload).toBe("Y3VycmVudA");
    expect(two.statusCode).toBe(200);
    expect(JSON.parse(String(two.body)).payload).toBe("c2VyaWFsIDI");
    expect(two.headers?.["cache-control"]).toBe("public, max-age=86400");
    expect(absent.statusCode).toBe(404);
    expect(bad.map((r) => r.statusCode)).toEqual([400, 400, 400, 400]);
  });

  test("requests for many serials of the history do not push the current manifest out of the cache", async () => {
    // Prepare
    const base = mkdtempSync(join(dir, "flood-"));
    const header = Buffer.from(JSON.stringify({ alg: "ES256", kid: "k1" })).toString("base64url");
    const doc = (payload: string) =>
      JSON.stringify({ payload, signatures: [{ protected: header, signature: "c2ln" }] });
    const file = join(base, "pcr-manifest.json");
    writeFileSync(file, doc("Y3VycmVudA"));
    const source = createManifestSource(file);
    await source.read();
    // Act: anyone asks for serials that are not published, each one read from the source
    for (let serial = 1; serial <= 40; serial++) await source.read(serial);
    writeFileSync(file, doc("bmV4dA")); // the file changes: a read of it would show
    // Assess: the current manifest is still served from the cache, not read again each time
    expect(JSON.parse(String((await source.read())?.text)).payload).toBe("Y3VycmVudA");
  });
});

/**
 * Test support for the REST edge: a nats-server in operator mode, dynalite, the
 * Secrets Manager stand-in and the REST adapter, started per test file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from "../../../local/aws/dynamodb";
import { type LocalEdge, startLocalEdge } from "../../../local/launcher/edge";
import { type OperatorNats, startOperatorNats } from "../../../local/launcher/nats";

export interface EdgeUnderTest {
  edge: LocalEdge;
  nats: OperatorNats;
  /** Sends a request to the REST adapter. */
  request(
    method: string,
    path: string,
    options?: { json?: unknown; body?: string | Buffer; headers?: Record<string, string>; admin?: boolean },
  ): Promise<{ status: number; headers: Headers; json: unknown; text: string }>;
  /** Every item of the table (sorted), for before/after comparisons. */
  snapshot(options?: { excludePrefixes?: string[] }): Promise<Record<string, unknown>[]>;
}

/** node:http, because fetch refuses bodies on GET (API Gateway accepts them). */
function rawRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
    const all = payload ? { ...headers, "content-length": String(payload.length) } : headers;
    const req = httpRequest(url, { method, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Starts the edge before the tests of the enclosing describe and stops it after. */
export function useEdge(options: { jwtTtlSeconds?: number; logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR" } = {}): {
  readonly current: EdgeUnderTest;
} {
  let current: EdgeUnderTest | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vettid-edge-"));
    const nats = await startOperatorNats(join(dir, "nats"));
    let edge: LocalEdge;
    try {
      edge = await startLocalEdge({
        natsUrls: [nats.server.url],
        keys: nats.keys,
        auth: nats.auth,
        adminToken: "test-admin-token-0123456789",
        logLevel: options.logLevel ?? "ERROR",
        ...(options.jwtTtlSeconds ? { jwtTtlSeconds: options.jwtTtlSeconds } : {}),
      });
    } catch (err) {
      await nats.stop();
      throw err;
    }
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: edge.dynamodb.endpoint,
        region: LOCAL_AWS_REGION,
        credentials: LOCAL_AWS_CREDENTIALS,
      }),
    );
    current = {
      edge,
      nats,
      async request(method, path, o = {}) {
        const headers: Record<string, string> = { ...o.headers };
        let body: string | Buffer | undefined = o.body;
        if (o.json !== undefined) {
          body = JSON.stringify(o.json);
          headers["content-type"] ??= "application/json";
        }
        if (o.admin) headers.authorization = `Bearer ${edge.adminToken}`;
        const response = await rawRequest(`${edge.rest.url}${path}`, method, headers, body);
        const text = response.text;
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: response.status, headers: response.headers, json, text };
      },
      async snapshot({ excludePrefixes = [] } = {}) {
        const items: Record<string, unknown>[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const out = await doc.send(
            new ScanCommand({ TableName: edge.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
          );
          items.push(...((out.Items ?? []) as Record<string, unknown>[]));
          start = out.LastEvaluatedKey;
        } while (start);
        return items
          .filter((item) => !excludePrefixes.some((p) => String(item.pk).startsWith(p)))
          .sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
      },
    };
  });
  afterAll(async () => {
    await current?.edge.stop();
    await current?.nats.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get current(): EdgeUnderTest {
      if (!current) throw new Error("the edge is not started yet");
      return current;
    },
  };
}

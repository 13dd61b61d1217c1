import { Logger } from "@aws-lambda-powertools/logger";
import * as z from "zod";
import type { EdgeEvent } from "../../../functions/middleware/types";
import { loadEdgeConfig } from "../../../functions/shared/config";
import { buildHandler } from "../../../functions/shared/handler";
import type { RouteDefinition } from "../../../functions/shared/route";
import { ConfigError } from "../../../lib/config";
import { VettidError } from "../../../lib/errors";
import { lambdaContext, toApiGatewayEventV2 } from "../../../local/rest";

const logger = new Logger({ serviceName: "test", logLevel: "CRITICAL" });

function route(handle: RouteDefinition<object>["handle"], auth: "iam" | "none" = "none"): RouteDefinition<object> {
  return {
    name: "t",
    method: "POST",
    path: "/t",
    auth,
    summary: "t",
    body: z.strictObject({ a: z.string().max(5) }),
    success: { status: 200, description: "ok" },
    errors: [],
    env: [],
    handle,
  };
}

function event(
  body: string | undefined,
  headers: Record<string, string> = { "content-type": "application/json" },
): EdgeEvent {
  return toApiGatewayEventV2(
    { method: "POST", url: "/t", headers, body: Buffer.from(body ?? ""), sourceIp: "127.0.0.1" },
    "POST /t",
    undefined,
  ) as EdgeEvent;
}

async function call(r: RouteDefinition<object>, e: EdgeEvent, environment = "local", adminToken?: string) {
  const handler = buildHandler(r, { environment, logger, context: () => ({}), ...(adminToken ? { adminToken } : {}) });
  const result = await handler(e, lambdaContext("t", "req-1"));
  return { ...result, json: JSON.parse(result.body ?? "null") as Record<string, unknown> };
}

describe("edge middleware", () => {
  const ok = route(async (e) => ({ body: e.input?.body }));

  test.each([
    ["text/plain", '{"a":"x"}', 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["application/json", '{"a":', 400, "BAD_REQUEST"],
    ["application/json", "[1]", 400, "BAD_REQUEST"],
    ["application/json", JSON.stringify({ a: "x".repeat(20_000) }), 413, "PAYLOAD_TOO_LARGE"],
    ["application/json", '{"a":"x","b":1}', 400, "VALIDATION_FAILED"],
    ["application/json", '{"a":1}', 400, "VALIDATION_FAILED"],
    ["application/json", "", 400, "BAD_REQUEST"],
  ])("content-type %s body %#: %i %s", async (contentType, body, status, code) => {
    // Act
    const result = await call(ok, event(body, { "content-type": contentType }));
    // Assess
    expect(result.statusCode).toBe(status);
    expect(result.headers?.["content-type"]).toBe("application/problem+json");
    expect(result.json.code).toBe(code);
  });

  test("valid input reaches the route, with security headers", async () => {
    const result = await call(ok, event('{"a":"x"}', { "content-type": "application/json; charset=utf-8" }));
    expect(result.statusCode).toBe(200);
    expect(result.json).toEqual({ a: "x" });
    expect(result.headers?.["X-Content-Type-Options"]).toBe("nosniff");
  });

  test("an unexpected error is a generic 500 without internals", async () => {
    // Prepare
    const broken = route(async () => {
      throw new Error("secret internals at /var/task/index.js");
    });
    // Act
    const result = await call(broken, event('{"a":"x"}'));
    // Assess
    expect(result.statusCode).toBe(500);
    expect(result.json.code).toBe("INTERNAL");
    expect(result.body).not.toContain("secret internals");
  });

  test.each([
    ["CONFIG_INVALID", "secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:vettid/nats has the wrong shape"],
    ["UNAVAILABLE", "secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:vettid/nats could not be read"],
  ] as const)("a %s error answers with its generic title, never its internal message", async (code, message) => {
    // Prepare
    const failing = route(async () => {
      throw new VettidError(code, message);
    });
    // Act
    const result = await call(failing, event('{"a":"x"}'));
    // Assess
    expect(result.statusCode).toBeGreaterThanOrEqual(500);
    expect(result.json.code).toBe(code);
    expect(result.body).not.toContain("arn:aws");
    expect(result.body).not.toContain("123456789012");
  });

  test("a VettidError maps to its status and code", async () => {
    const refused = route(async () => {
      throw new VettidError("INVITATION_USED", "used");
    });
    const result = await call(refused, event('{"a":"x"}'));
    expect(result.statusCode).toBe(409);
    expect(result.json).toMatchObject({
      code: "INVITATION_USED",
      type: "urn:vettid:error:invitation_used",
      retryable: false,
    });
  });

  test("admin routes: IAM authorizer context or the dev token; the token is ignored outside local/dev", async () => {
    // Prepare
    const admin = route(async (e) => ({ body: { principal: e.principal } }), "iam");
    const withToken = event('{"a":"x"}', {
      "content-type": "application/json",
      authorization: "Bearer token-0123456789abcdef",
    });
    const withIam = event('{"a":"x"}');
    withIam.requestContext.authorizer = { iam: { userArn: "arn:aws:iam::1:user/op" } };
    // Act
    const local = await call(admin, withToken, "local", "token-0123456789abcdef");
    const prod = await call(admin, withToken, "prod", "token-0123456789abcdef");
    const iam = await call(admin, withIam, "prod");
    // Assess
    expect(local.json).toEqual({ principal: "local-admin" });
    expect(prod.statusCode).toBe(401);
    expect(iam.json).toEqual({ principal: "arn:aws:iam::1:user/op" });
  });

  test("the edge refuses the admin token and stand-in endpoints in production configuration", () => {
    const base = { VETTID_ENV: "prod", VETTID_TABLE_NAME: "t1t", VETTID_NATS_URLS: "tls://x:4222" };
    expect(() => loadEdgeConfig({ ...base, VETTID_ADMIN_TOKEN: "0123456789abcdef0" })).toThrow(/dev-only/);
    expect(() => loadEdgeConfig({ ...base, VETTID_DYNAMODB_ENDPOINT: "http://127.0.0.1:1" })).toThrow(/dev-only/);
    expect(loadEdgeConfig(base).VETTID_NATS_URLS).toEqual(["tls://x:4222"]);
  });

  test.each(["staging", "prod"])("the edge refuses plaintext nats:// URLs with VETTID_ENV=%s, in one line", (env) => {
    // Prepare
    const config = { VETTID_ENV: env, VETTID_TABLE_NAME: "t1t", VETTID_NATS_URLS: "tls://a:4222,nats://b:4222" };
    // Act
    const load = () => loadEdgeConfig(config);
    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /^VETTID_NATS_URLS must be tls:\/\/ outside local or dev \(plaintext NATS is dev-only\): nats:\/\/b:4222$/,
    );
  });

  test.each(["local", "dev"])("the edge takes plaintext nats:// URLs with VETTID_ENV=%s", (env) => {
    expect(loadEdgeConfig({ VETTID_ENV: env, VETTID_TABLE_NAME: "t1t", VETTID_NATS_URLS: "nats://n:4222" })).toEqual(
      expect.objectContaining({ VETTID_NATS_URLS: ["nats://n:4222"] }),
    );
  });
});

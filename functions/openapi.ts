/**
 * `npm run openapi`: writes docs/openapi.json (OpenAPI 3.1) from the same zod
 * schemas the handlers validate with. A test checks the committed file is current.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { $ZodType } from "zod/v4/core";
import { ProblemSchema } from "../lib/edge/schemas";
import { ERROR_CODES } from "../lib/errors";
import * as z from "../lib/zod";
import { API_VERSION } from "./health/get";
import { FUNCTIONS } from "./routes";

type Json = Record<string, unknown>;

function schema(s: $ZodType, io: "input" | "output"): Json {
  const json = z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  delete json.$schema;
  return json;
}

function pathParameters(s: $ZodType | undefined): Json[] {
  if (!s) return [];
  const json = schema(s, "input") as { properties?: Record<string, Json> };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({ name, in: "path", required: true, schema: p }));
}

function queryParameters(s: $ZodType | undefined): Json[] {
  if (!s) return [];
  const json = schema(s, "input") as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    schema: p,
  }));
}

/** Builds the OpenAPI document. */
export function buildOpenApi(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const { route } of FUNCTIONS) {
    const responses: Record<string, Json> = {
      [String(route.success.status)]: {
        description: route.success.description,
        ...(route.success.schema
          ? { content: { "application/json": { schema: schema(route.success.schema, "output") } } }
          : {}),
      },
    };
    const statuses = new Map<number, string[]>();
    for (const code of route.errors) {
      const status = ERROR_CODES[code].http;
      statuses.set(status, [...(statuses.get(status) ?? []), code]);
    }
    statuses.set(500, ["INTERNAL"]);
    for (const [status, codes] of [...statuses.entries()].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: `problem+json; code: ${codes.join(", ")}`,
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      };
    }
    const operation: Json = {
      operationId: route.name,
      summary: route.summary,
      parameters: [...pathParameters(route.pathParams), ...queryParameters(route.query)],
      responses,
    };
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: schema(route.body, "input") } },
      };
    }
    if (route.auth === "iam") operation.security = [{ sigv4: [] }, { adminToken: [] }];
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "VettID REST edge",
      version: API_VERSION,
      description:
        "Bootstrap of a device into VettID: invitations, enrollment, NATS credentials, device revocation and the signed PCR manifest. Errors are RFC 9457 problem+json with a stable code. Generated from functions/ by `npm run openapi`.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [
      {
        url: "http://127.0.0.1:{port}",
        description: "local topology (dev only)",
        variables: { port: { default: "0" } },
      },
    ],
    paths,
    components: {
      schemas: { Problem: schema(ProblemSchema, "output") },
      securitySchemes: {
        sigv4: {
          type: "apiKey",
          in: "header",
          name: "Authorization",
          description: "AWS SigV4 (API Gateway IAM auth), operators",
        },
        adminToken: {
          type: "http",
          scheme: "bearer",
          description: "local topology only: the adminToken of endpoints.json",
        },
      },
    },
  };
}

/** The document as JSON text (stable key order from the route list; biome formats the file). */
export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

if (require.main === module) {
  const root = resolve(__dirname, "..");
  const path = join(root, "docs", "openapi.json");
  writeFileSync(path, renderOpenApi());
  // the repository's formatter owns the layout of every JSON file
  execFileSync(join(root, "node_modules", ".bin", "biome"), ["format", "--write", path], { stdio: "ignore" });
  process.stdout.write(`wrote ${path}\n`);
}

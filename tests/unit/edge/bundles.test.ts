import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { bundle, MAX_BUNDLE_BYTES } from "../../../functions/build";
import { FUNCTIONS } from "../../../functions/routes";
import { toApiGatewayEventV2 } from "../../../local/rest";

const root = resolve(__dirname, "../../..");

describe("edge bundles", () => {
  let out: string;
  const sizes = new Map<string, number>();
  beforeAll(async () => {
    // inside the repository, so that entries written by the tests resolve its node_modules
    mkdirSync(join(root, "dist"), { recursive: true });
    out = mkdtempSync(join(root, "dist", "bundles-test-"));
    for (const { route, entry } of FUNCTIONS) {
      sizes.set(route.name, await bundle(join(root, "functions", entry), join(out, route.name)));
    }
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("every bundle is self-contained (only Node built-ins are required at run time) and under the size limit", () => {
    const builtins = new Set(builtinModules);
    for (const { route } of FUNCTIONS) {
      const size = sizes.get(route.name) ?? Number.POSITIVE_INFINITY;
      const code = readFileSync(join(out, route.name, "index.js"), "utf8");
      const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string);
      const foreign = required.filter((r) => !builtins.has(r.replace(/^node:/, "")));
      expect({ route: route.name, foreign }).toEqual({ route: route.name, foreign: [] });
      expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    }
    // tree shaking keeps each route's own REST schemas only (lib/edge/schemas.ts `define`)
    const health = readFileSync(join(out, "health-get", "index.js"), "utf8");
    expect(health).toContain('"Health"');
    for (const other of ["EnrollmentRequest", "SignedRevokeRequest", "CreateInvitationRequest"]) {
      expect(health).not.toContain(`"${other}"`);
    }
  });

  test("every bundle runs on its own in a fresh node: health answers, and bad input gets English problem+json", () => {
    // Prepare: an environment as Lambda gives one
    const adminToken = "a".repeat(32);
    const env = {
      PATH: process.env.PATH,
      VETTID_ENV: "local",
      VETTID_TABLE_NAME: "vettid-test",
      VETTID_NATS_URLS: "nats://127.0.0.1:4222",
      VETTID_ADMIN_TOKEN: adminToken,
      VETTID_MANIFEST_SOURCE: join(out, "no-such-manifest.json"),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    };
    const invoke = `
      const { handler } = require(process.argv[1]);
      const context = { awsRequestId: "req-1", functionName: "f", getRemainingTimeInMillis: () => 30000 };
      handler(JSON.parse(process.argv[2]), context).then((r) => process.stdout.write(JSON.stringify(r)));
    `;
    for (const { route } of FUNCTIONS) {
      // a route with a body gets an unknown field; one without, a malformed id in its path
      const hasBody = route.body !== undefined;
      const ids = { deviceId: hasBody ? `dev_${"0".repeat(32)}` : "not-an-id", invitationId: "not-an-id" };
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: keyof typeof ids) => ids[name]);
      const pathParameters = Object.fromEntries(
        [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] as string, ids[m[1] as keyof typeof ids]]),
      );
      const event = toApiGatewayEventV2(
        {
          method: route.method,
          url: route.name === "invitations-list" ? `${path}?limit=not-a-number` : path,
          headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
          body: Buffer.from(hasBody ? '{"unexpected":1}' : ""),
          sourceIp: "192.0.2.1",
        },
        `${route.method} ${route.path}`,
        Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
      );
      // Act
      const run = spawnSync(
        process.execPath,
        ["-e", invoke, join(out, route.name, "index.js"), JSON.stringify(event)],
        {
          encoding: "utf8",
          env,
        },
      );
      // Assess
      expect({ route: route.name, stderr: run.stderr, status: run.status }).toEqual({
        route: route.name,
        stderr: "",
        status: 0,
      });
      const reply = JSON.parse(run.stdout) as { statusCode: number; headers: Record<string, string>; body: string };
      if (route.name === "health-get") {
        expect(reply.statusCode).toBe(200);
        expect(JSON.parse(reply.body)).toMatchObject({ status: "ok" });
      } else if (route.name === "pcr-manifest-get") {
        expect(reply.headers["content-type"]).toBe("application/problem+json");
        // no manifest published at VETTID_MANIFEST_SOURCE yet
        expect(reply.statusCode).toBe(404);
      } else {
        expect({ route: route.name, status: reply.statusCode }).toEqual({ route: route.name, status: 400 });
        expect(reply.headers["content-type"]).toBe("application/problem+json");
        const problem = JSON.parse(reply.body) as { code: string; errors?: { message: string }[] };
        expect(problem.code).toBe("VALIDATION_FAILED");
        // zod/mini's English messages come from lib/zod's one side effect (package.json sideEffects)
        const message = problem.errors?.[0]?.message ?? "";
        expect(message).not.toBe("Invalid input");
        // without the locale every message would be the bare "Invalid input"
        expect(message).toMatch(
          /^(Invalid input: expected|Invalid string: must match|Unrecognized key|must be a (dev|inv)_ id$)/,
        );
      }
    }
  });

  test("a handler that pulls in a full AWS SDK client is a build error that names the remedy", async () => {
    // Prepare
    const entry = join(out, "sdk-entry.ts");
    writeFileSync(
      entry,
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nexport const handler = async () => String(new DynamoDBClient({}));\n',
    );
    // Act + Assess
    await expect(bundle(entry, join(out, "sdk"))).rejects.toThrow(/@aws-sdk\/client-dynamodb.*lib\/aws-json/);
  });
});

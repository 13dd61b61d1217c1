import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { createAccount } from "@nats-io/nkeys";
import { generateDeviceKeys } from "../../../client/device";
import { AWS_SDK_CLIENTS, type BundleReport, bundle, MAX_OWN_BUNDLE_BYTES } from "../../../functions/build";
import { FUNCTIONS, WORKERS } from "../../../functions/routes";
import { createEdgeTable, startDynalite } from "../../../local/aws/dynamodb";
import { startAwsJsonServer } from "../../../local/aws/json-protocol";
import { createSecretsManagerStandIn } from "../../../local/aws/secrets-manager";
import { toApiGatewayEventV2 } from "../../../local/rest";
import { adminPost, invokeBundle, standInEnv } from "./bundle-child";

const root = resolve(__dirname, "../../..");

describe("edge bundles", () => {
  let out: string;
  const reports = new Map<string, BundleReport>();
  beforeAll(async () => {
    // inside the repository, so that entries written by the tests resolve its node_modules
    mkdirSync(join(root, "dist"), { recursive: true });
    out = mkdtempSync(join(root, "dist", "bundles-test-"));
    for (const { route, entry } of FUNCTIONS) {
      reports.set(route.name, await bundle(join(root, "functions", entry), join(out, route.name)));
    }
    for (const { worker, entry } of WORKERS) {
      reports.set(worker.name, await bundle(join(root, "functions", entry), join(out, worker.name)));
    }
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("every bundle is self-contained (only Node built-ins are required at run time) and under the size limit", () => {
    const builtins = new Set(builtinModules);
    for (const { route } of FUNCTIONS) {
      const report = reports.get(route.name);
      const code = readFileSync(join(out, route.name, "index.js"), "utf8");
      // what esbuild left to require at run time (a regex over the code would also match the SDK's error texts)
      const foreign = (report?.external ?? ["(no report)"]).filter((r) => !builtins.has(r.replace(/^node:/, "")));
      expect({ route: route.name, foreign }).toEqual({ route: route.name, foreign: [] });
      expect(report?.external).toContain("node:crypto");
      expect(report?.bytes).toBe(Buffer.byteLength(code));
      expect(
        (report?.bytes ?? Number.POSITIVE_INFINITY) - (report?.awsSdkBytes ?? 0) - (report?.tracerBytes ?? 0),
      ).toBeLessThan(MAX_OWN_BUNDLE_BYTES);
      // the tracer rides only with the AWS SDK: routes that call no AWS service carry neither
      expect({ route: route.name, traced: (report?.tracerBytes ?? 0) > 0 }).toEqual({
        route: route.name,
        traced: (report?.awsSdkBytes ?? 0) > 0,
      });
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
      // stdout is the handler's answer here; its EMF lines are tested in observability.test.ts
      POWERTOOLS_METRICS_DISABLED: "true",
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

  test("only the revocation publisher carries a NATS client (the claims update); no route does", () => {
    // Prepare: what the publisher's bundle has and a route's must not: the claims update subject
    const marker = "$SYS.REQ.CLAIMS.UPDATE";
    // Act
    const publisher = readFileSync(join(out, "revocations-publish", "index.js"), "utf8");
    const routes = FUNCTIONS.map(({ route }) => ({
      route: route.name,
      claims: readFileSync(join(out, route.name, "index.js"), "utf8").includes(marker),
    }));
    // Assess
    expect(publisher).toContain(marker);
    expect(reports.get("revocations-publish")?.awsSdkClients).toEqual([
      "@aws-sdk/client-dynamodb",
      "@aws-sdk/client-secrets-manager",
    ]);
    expect(routes.filter((r) => r.claims)).toEqual([]);
  });

  test("each bundle carries the AWS SDK clients its route uses, bundled, and its source map beside it, not inlined", () => {
    // routes that read secrets (they mint NATS JWTs) carry Secrets Manager; health and manifest touch no AWS API
    const secrets = new Set(["enrollments-create", "devices-credentials"]);
    const noAws = new Set(["health-get", "pcr-manifest-get"]);
    for (const { route } of FUNCTIONS) {
      const expected = noAws.has(route.name)
        ? []
        : ["@aws-sdk/client-dynamodb", ...(secrets.has(route.name) ? ["@aws-sdk/client-secrets-manager"] : [])];
      expect({ route: route.name, clients: reports.get(route.name)?.awsSdkClients }).toEqual({
        route: route.name,
        clients: expected,
      });
      const code = readFileSync(join(out, route.name, "index.js"), "utf8");
      expect(code.trimEnd().endsWith("//# sourceMappingURL=index.js.map")).toBe(true);
      const map = JSON.parse(readFileSync(join(out, route.name, "index.js.map"), "utf8")) as {
        sources: string[];
        sourcesContent?: unknown;
      };
      expect(map.sourcesContent).toBeUndefined();
      if (expected.length > 0) {
        expect(map.sources.some((s) => s.includes("node_modules/@aws-sdk/lib-dynamodb/"))).toBe(true);
      }
    }
  });

  test("bundled routes reach DynamoDB and Secrets Manager through their bundled SDK clients (dynalite, stand-in)", async () => {
    // Prepare: the stand-ins, and an account signing key where enrollment reads it
    const db = await startDynalite();
    const standIn = createSecretsManagerStandIn();
    const account = createAccount();
    const signingKey = createAccount();
    standIn.seed(
      "account",
      JSON.stringify({
        accountPublicKey: account.getPublicKey(),
        signingKeySeed: new TextDecoder().decode(signingKey.getSeed()),
      }),
    );
    const secrets = await startAwsJsonServer([standIn]);
    try {
      await createEdgeTable(db.endpoint, "vettid-bundles");
      const adminToken = "b".repeat(32);
      const env = standInEnv({
        table: "vettid-bundles",
        adminToken,
        dynamodbEndpoint: db.endpoint,
        secretsEndpoint: secrets.endpoint,
      });
      const call = (name: string, path: string, body: unknown) =>
        invokeBundle(join(out, name, "index.js"), adminPost(path, adminToken, body), env);
      // Act
      const created = await call("invitations-create", "/v1/invitations", {});
      const { code } = JSON.parse(created.body) as { code: string };
      const keys = generateDeviceKeys();
      const enrolled = await call("enrollments-create", "/v1/enrollments", {
        invitationCode: code,
        device: {
          signingKey: keys.signing.publicKey,
          exchangeKey: keys.exchange.publicKey,
          natsPublicKey: keys.nats.publicKey,
        },
      });
      // Assess: a stored invitation, claimed; a user JWT signed with the key read from Secrets Manager
      expect(created.statusCode).toBe(201);
      expect({ status: enrolled.statusCode, body: enrolled.body }).toMatchObject({ status: 201 });
      const { nats } = JSON.parse(enrolled.body) as { nats: { jwt: string } };
      const claims = JSON.parse(Buffer.from(nats.jwt.split(".")[1] ?? "", "base64url").toString("utf8"));
      expect(claims).toMatchObject({ iss: signingKey.getPublicKey(), sub: keys.nats.publicKey });
    } finally {
      await secrets.stop();
      await db.stop();
    }
  });

  test("a handler that pulls in an AWS SDK client the edge does not use is a build error naming the allowed ones", async () => {
    // Prepare
    const entry = join(out, "sdk-entry.ts");
    writeFileSync(
      entry,
      'import { S3Client } from "@aws-sdk/client-s3";\nexport const handler = async () => String(new S3Client({}));\n',
    );
    // Act + Assess
    await expect(bundle(entry, join(out, "sdk"))).rejects.toThrow(
      `bundles @aws-sdk/client-s3; the edge carries only ${AWS_SDK_CLIENTS.join(", ")}`,
    );
  });
});

/**
 * The edge's X-Ray tracing, run the way Lambda runs a traced function: the bundle in
 * a fresh node with Lambda's tracing variables, its segments sent to a UDP socket
 * standing in for the X-Ray daemon. Traces carry the route, the status and one
 * subsegment per AWS call, and never an answer: no invitation code, JWT or seed.
 */
import { createSocket, type Socket } from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createAccount } from "@nats-io/nkeys";
import { generateDeviceKeys } from "../../../client/device";
import { bundle } from "../../../functions/build";
import { createEdgeTable, startDynalite } from "../../../local/aws/dynamodb";
import { startAwsJsonServer } from "../../../local/aws/json-protocol";
import { createSecretsManagerStandIn } from "../../../local/aws/secrets-manager";
import { BASE_HANDLER_ENVIRONMENT } from "../../../stacks/edge-environment";
import { adminPost, invokeBundle, standInEnv } from "./bundle-child";

const root = resolve(__dirname, "../../..");

interface TraceDocument {
  name: string;
  trace_id?: string;
  parent_id?: string;
  type?: string;
  annotations?: Record<string, unknown>;
  aws?: Record<string, unknown>;
  subsegments?: TraceDocument[];
}

/** A UDP socket that keeps every X-Ray datagram (a header line, then one JSON document). */
async function startDaemon(): Promise<{ socket: Socket; port: number; datagrams: string[] }> {
  const socket = createSocket("udp4");
  const datagrams: string[] = [];
  socket.on("message", (message) => datagrams.push(message.toString("utf8")));
  await new Promise<void>((done) => socket.bind(0, "127.0.0.1", done));
  return { socket, port: socket.address().port, datagrams };
}

function documents(datagrams: string[]): TraceDocument[] {
  const flatten = (d: TraceDocument): TraceDocument[] => [d, ...(d.subsegments ?? []).flatMap(flatten)];
  return datagrams.flatMap((d) => {
    const [header, body] = d.split("\n");
    expect(JSON.parse(header ?? "")).toEqual({ format: "json", version: 1 });
    return flatten(JSON.parse(body ?? "") as TraceDocument);
  });
}

describe("edge tracing", () => {
  let out: string;
  beforeAll(async () => {
    mkdirSync(join(root, "dist"), { recursive: true });
    out = mkdtempSync(join(root, "dist", "tracing-test-"));
    await bundle(join(root, "functions", "invitations", "create.ts"), join(out, "invitations-create"));
    await bundle(join(root, "functions", "enrollments", "create.ts"), join(out, "enrollments-create"));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("traces the route, its status and each AWS call, and never records an answer", async () => {
    // Prepare: the stand-ins, an account signing key, the daemon
    const db = await startDynalite();
    const standIn = createSecretsManagerStandIn();
    const account = createAccount();
    const signingKey = createAccount();
    const seed = new TextDecoder().decode(signingKey.getSeed());
    standIn.seed("account", JSON.stringify({ accountPublicKey: account.getPublicKey(), signingKeySeed: seed }));
    const secrets = await startAwsJsonServer([standIn]);
    const daemon = await startDaemon();
    const traceId = "1-67a0b1c2-0123456789abcdef01234567";
    try {
      await createEdgeTable(db.endpoint, "vettid-tracing");
      const adminToken = "c".repeat(32);
      const env = {
        ...standInEnv({
          table: "vettid-tracing",
          adminToken,
          dynamodbEndpoint: db.endpoint,
          secretsEndpoint: secrets.endpoint,
        }),
        ...BASE_HANDLER_ENVIRONMENT,
        // what Lambda sets for a function with active tracing
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        LAMBDA_TASK_ROOT: out,
        _HANDLER: "index.handler",
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.port}`,
        AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
      };
      const call = (name: string, parent: string, path: string, body: unknown) =>
        invokeBundle(join(out, name, "index.js"), adminPost(path, adminToken, body), {
          ...env,
          _X_AMZN_TRACE_ID: `Root=${traceId};Parent=${parent};Sampled=1`,
        });

      // Act: an invitation, and an enrollment with it
      const created = await call("invitations-create", "53995c3f42cd8ad8", "/v1/invitations", {});
      const { code } = JSON.parse(created.body) as { code: string };
      const keys = generateDeviceKeys();
      const enrolled = await call("enrollments-create", "63995c3f42cd8ad9", "/v1/enrollments", {
        invitationCode: code,
        device: {
          signingKey: keys.signing.publicKey,
          exchangeKey: keys.exchange.publicKey,
          natsPublicKey: keys.nats.publicKey,
        },
      });
      expect([created.statusCode, enrolled.statusCode]).toEqual([201, 201]);
      const { nats } = JSON.parse(enrolled.body) as { nats: { jwt: string } };

      // Assess: the handler subsegments, annotated, in the trace Lambda started
      const docs = documents(daemon.datagrams);
      const handlers = docs.filter((d) => d.name === "## index.handler");
      expect(handlers.map((d) => ({ trace: d.trace_id, annotations: d.annotations }))).toEqual([
        {
          trace: traceId,
          annotations: {
            ColdStart: true,
            Service: "vettid-edge-invitations-create",
            route: "invitations-create",
            statusCode: 201,
          },
        },
        {
          trace: traceId,
          annotations: {
            ColdStart: true,
            Service: "vettid-edge-enrollments-create",
            route: "enrollments-create",
            statusCode: 201,
          },
        },
      ]);
      // one subsegment per AWS call, named by service and operation
      const calls = docs.filter((d) => d.type === "subsegment" || d.aws?.operation !== undefined);
      const operations = calls.map((d) => `${d.name}.${String(d.aws?.operation ?? "")}`);
      expect(operations).toContain("DynamoDB.PutItem");
      expect(operations).toContain("SecretsManager.GetSecretValue");
      // never an answer, a code, a JWT or a seed
      const all = daemon.datagrams.join("\n");
      for (const secret of [code, nats.jwt, seed, adminToken]) expect(all).not.toContain(secret);
    } finally {
      daemon.socket.close();
      await secrets.stop();
      await db.stop();
    }
  });
});

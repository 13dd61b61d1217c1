import { execFile } from "node:child_process";
import { toApiGatewayEventV2 } from "../../../local/rest";

/** A child that loads a built bundle, calls its handler once with argv[2] and prints the answer. */
const INVOKE = `
  const { handler } = require(process.argv[1]);
  const context = { awsRequestId: "req-1", functionName: "f", getRemainingTimeInMillis: () => 30000 };
  // a moment for what the handler sends after answering (EMF, trace segments over UDP)
  handler(JSON.parse(process.argv[2]), context).then((r) => setTimeout(() => process.stdout.write(JSON.stringify(r)), 50));
`;

/** An admin-authorized JSON POST as API Gateway v2 hands it to a function. */
export function adminPost(path: string, adminToken: string, body: unknown) {
  return toApiGatewayEventV2(
    {
      method: "POST",
      url: path,
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: Buffer.from(JSON.stringify(body)),
      sourceIp: "192.0.2.1",
    },
    `POST ${path}`,
    undefined,
  );
}

/**
 * Runs a built bundle's handler in a fresh node with `env`, as Lambda would, without
 * blocking this process (stand-ins the bundle calls may answer from it).
 */
export function invokeBundle(
  bundlePath: string,
  event: unknown,
  env: Record<string, string | undefined>,
): Promise<{ statusCode: number; body: string }> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ["-e", INVOKE, bundlePath, JSON.stringify(event)],
      { env, encoding: "utf8" },
      (err, stdout, stderr) => (err ? fail(new Error(`${bundlePath}: ${stderr}`)) : done(JSON.parse(stdout))),
    );
  });
}

/**
 * The environment of a bundle that reaches the stand-ins: the local topology's
 * variables (dev admin token, dummy credentials), logs silenced and metrics off
 * (stdout is the handler's answer; EMF lines are tested in observability.test.ts).
 */
export function standInEnv(options: {
  table: string;
  adminToken: string;
  dynamodbEndpoint: string;
  secretsEndpoint: string;
}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    VETTID_ENV: "local",
    VETTID_TABLE_NAME: options.table,
    VETTID_NATS_URLS: "nats://127.0.0.1:4222",
    VETTID_NATS_DEVICE_SIGNING_SECRET_ID: "account",
    VETTID_ADMIN_TOKEN: options.adminToken,
    VETTID_DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
    VETTID_SECRETS_ENDPOINT: options.secretsEndpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  };
}

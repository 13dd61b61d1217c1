import {
  type AwsJsonClient,
  AwsServiceError,
  createAwsJsonClient,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  RETRY_POLICY,
  staticCredentials,
  TransportError,
} from "../../../../lib/aws-json";
import { VettidError } from "../../../../lib/errors";
import { verifySigV4 } from "./sigv4-check";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const NOW = new Date(Date.UTC(2026, 10, 29, 1, 2, 3));

type Reply = HttpResponse | Error;

/** A transport that records what it is sent and answers from a script. */
function scripted(replies: Reply[]): HttpTransport & { sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    async send(request) {
      sent.push(request);
      const reply = replies.shift();
      if (!reply) throw new Error("no scripted reply left");
      if (reply instanceof Error) throw reply;
      return reply;
    },
    close() {},
  };
}

const ok = (body: unknown): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify(body) });
const awsError = (status: number, type: string, message = "m"): HttpResponse => ({
  status,
  headers: { "x-amzn-requestid": "req-1" },
  body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
});

function client(transport: HttpTransport, extra: Partial<Parameters<typeof createAwsJsonClient>[0]> = {}) {
  const waits: number[] = [];
  const c: AwsJsonClient = createAwsJsonClient({
    service: "dynamodb",
    region: "eu-central-1",
    credentials: staticCredentials(CREDENTIALS),
    transport,
    now: () => NOW,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.999,
    ...extra,
  });
  return { c, waits };
}

describe("AWS JSON-protocol client", () => {
  test("sends a SigV4-signed awsJson1_0 POST to the regional endpoint and returns the parsed reply", async () => {
    // Prepare
    const transport = scripted([ok({ Item: { pk: { S: "a" } } })]);
    const { c } = client(transport);
    // Act
    const out = await c.call("GetItem", { TableName: "t", Key: { pk: { S: "a" } } });
    // Assess
    expect(out).toEqual({ Item: { pk: { S: "a" } } });
    const [request] = transport.sent as [HttpRequest];
    expect(request.url.href).toBe("https://dynamodb.eu-central-1.amazonaws.com/");
    expect(request.method).toBe("POST");
    expect(request.headers["x-amz-target"]).toBe("DynamoDB_20120810.GetItem");
    expect(request.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(JSON.parse(request.body)).toEqual({ TableName: "t", Key: { pk: { S: "a" } } });
    const check = verifySigV4(request, CREDENTIALS);
    expect(check.valid).toBe(true);
    expect(check.scope).toBe("20261129/eu-central-1/dynamodb/aws4_request");
    expect(check.signedHeaders).toEqual(expect.arrayContaining(["host", "x-amz-date", "x-amz-target", "content-type"]));
  });

  test("a signature no longer verifies once the body or the target changes", async () => {
    // Prepare
    const transport = scripted([ok({})]);
    const { c } = client(transport);
    await c.call("PutItem", { TableName: "t", Item: { pk: { S: "a" } } });
    const request = transport.sent[0] as HttpRequest;
    // Act + Assess
    expect(verifySigV4({ ...request, body: request.body.replace('"a"', '"b"') }, CREDENTIALS).valid).toBe(false);
    expect(
      verifySigV4(
        { ...request, headers: { ...request.headers, "x-amz-target": "DynamoDB_20120810.DeleteTable" } },
        CREDENTIALS,
      ).valid,
    ).toBe(false);
  });

  test("temporary credentials send and sign their session token; Secrets Manager speaks awsJson1_1", async () => {
    // Prepare
    const transport = scripted([ok({ SecretString: "{}" })]);
    const { c } = client(transport, {
      service: "secretsmanager",
      credentials: staticCredentials({ ...CREDENTIALS, sessionToken: "token-1" }),
    });
    // Act
    await c.call("GetSecretValue", { SecretId: "s" });
    // Assess
    const request = transport.sent[0] as HttpRequest;
    expect(request.url.host).toBe("secretsmanager.eu-central-1.amazonaws.com");
    expect(request.headers["x-amz-target"]).toBe("secretsmanager.GetSecretValue");
    expect(request.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(request.headers["x-amz-security-token"]).toBe("token-1");
    expect(verifySigV4(request, CREDENTIALS).signedHeaders).toContain("x-amz-security-token");
  });

  test("a configured endpoint (a local stand-in) replaces the regional one, port included", async () => {
    const transport = scripted([ok({})]);
    const { c } = client(transport, { endpoint: "http://127.0.0.1:4567" });
    await c.call("GetItem", {});
    const request = transport.sent[0] as HttpRequest;
    expect(request.url.href).toBe("http://127.0.0.1:4567/");
    expect(request.headers.host).toBe("127.0.0.1:4567");
    expect(verifySigV4(request, CREDENTIALS).valid).toBe(true);
  });

  test("throttling is retried with growing, capped backoff, and each attempt is signed afresh", async () => {
    // Prepare
    const transport = scripted([
      awsError(400, "ProvisionedThroughputExceededException"),
      awsError(400, "ThrottlingException"),
      ok({ a: 1 }),
    ]);
    const { c, waits } = client(transport);
    // Act
    const out = await c.call("PutItem", {});
    // Assess
    expect(out).toEqual({ a: 1 });
    expect(transport.sent).toHaveLength(3);
    expect(waits).toEqual([49, 99]);
    for (const request of transport.sent) expect(verifySigV4(request, CREDENTIALS).valid).toBe(true);
  });

  test("5xx replies and lost connections are retried; when they outlast the attempts the error is UNAVAILABLE", async () => {
    // Prepare
    const transport = scripted([
      awsError(500, "InternalServerError"),
      new TransportError("socket hang up", "ECONNRESET"),
      { status: 503, headers: {}, body: "<html>busy</html>" },
    ]);
    const { c } = client(transport);
    // Act
    const err = await c.call("GetItem", {}).catch((e: unknown) => e);
    // Assess
    expect(transport.sent).toHaveLength(RETRY_POLICY.maxAttempts);
    expect(err).toBeInstanceOf(VettidError);
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect((err as Error).cause).toBeInstanceOf(AwsServiceError);
    expect((err as Error).cause).toMatchObject({ status: 503, type: "UnknownError" });
  });

  test("an error reply that retrying cannot fix is thrown at once, named by its AWS type", async () => {
    // Prepare
    const transport = scripted([awsError(400, "ConditionalCheckFailedException", "The conditional request failed")]);
    const { c, waits } = client(transport);
    // Act
    const err = await c.call("PutItem", {}).catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(AwsServiceError);
    expect(err).toMatchObject({
      name: "ConditionalCheckFailedException",
      status: 400,
      requestId: "req-1",
      message: "The conditional request failed",
    });
    expect(transport.sent).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  test("a 2xx reply that is not JSON is an error, not data", async () => {
    const transport = scripted([{ status: 200, headers: {}, body: "{not json" }]);
    const { c } = client(transport);
    await expect(c.call("GetItem", {})).rejects.toMatchObject({ name: "SerializationError" });
  });

  test("bad operation names, endpoints, regions and attempt counts are refused before any request", () => {
    const transport = scripted([]);
    const { c } = client(transport);
    expect(() =>
      createAwsJsonClient({ service: "dynamodb", region: "nowhere", credentials: staticCredentials(CREDENTIALS) }),
    ).toThrow(/not an AWS region/);
    expect(() => client(transport, { endpoint: "ftp://x" })).toThrow(/unsupported endpoint/);
    expect(() => client(transport, { maxAttempts: 0 })).toThrow(/maxAttempts/);
    return expect(c.call("Get/Item", {}))
      .rejects.toThrow(/not an operation name/)
      .then(() => {
        expect(transport.sent).toHaveLength(0);
      });
  });

  test("missing credentials fail the call with a clear error and send nothing", async () => {
    const { credentialsFromEnvironment } = await import("../../../../lib/aws-json");
    const transport = scripted([]);
    const { c } = client(transport, { credentials: credentialsFromEnvironment({}) });
    await expect(c.call("GetItem", {})).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringMatching(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/),
    });
    expect(transport.sent).toHaveLength(0);
  });

  test("a client from the environment needs a region", async () => {
    const { awsJsonClientFromEnvironment } = await import("../../../../lib/aws-json");
    expect(() => awsJsonClientFromEnvironment("dynamodb", { env: {} })).toThrow(/AWS_REGION is not set/);
    const c = awsJsonClientFromEnvironment("dynamodb", { env: { AWS_REGION: "eu-west-1" } });
    c.close();
  });
});

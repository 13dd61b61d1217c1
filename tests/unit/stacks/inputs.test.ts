import { BASE_HANDLER_ENVIRONMENT, handlerEnvironment } from "../../../stacks/edge-environment";
import { parseFunctions } from "../../../stacks/inputs/functions";
import { enclaveStatement } from "../../../stacks/keys";
import { hostAddress, subnetCidr } from "../../../stacks/shared/cidr";

const entry = {
  name: "health-get",
  method: "GET",
  path: "/v1/health",
  auth: "none",
  bundle: "dist/functions/health-get",
  handler: "index.handler",
  env: ["VETTID_TABLE_NAME", "VETTID_ENV"],
};

const resources = {
  environment: "dev",
  tableName: "t",
  tableArn: "arn:aws:dynamodb:eu-central-1:1:table/t",
  tableStreamArn: "arn:aws:dynamodb:eu-central-1:1:table/t/stream/2026",
  natsUrls: ["tls://nats.example:4222"],
  natsDeviceSigningSecretArn: "arn:secret:device",
  natsOperatorSecretArn: "arn:secret:operator",
  manifestUrl: "https://cdn.example/.well-known/vettid/pcr-manifest.json",
  jwtTtlSeconds: 3600,
};

const worker = {
  name: "revocations-publish",
  trigger: "revocations-stream",
  bundle: "dist/functions/revocations-publish",
  handler: "index.handler",
  env: ["VETTID_NATS_OPERATOR_SECRET_ID", "VETTID_ENV"],
};

describe("functions.json input", () => {
  it("accepts the edge build's format and sorts env", () => {
    expect(parseFunctions(JSON.stringify([entry]))).toEqual([{ ...entry, env: ["VETTID_ENV", "VETTID_TABLE_NAME"] }]);
  });
  it("accepts a worker: a trigger instead of method, path and auth", () => {
    expect(parseFunctions(JSON.stringify([worker]))).toEqual([
      { ...worker, env: ["VETTID_ENV", "VETTID_NATS_OPERATOR_SECRET_ID"] },
    ]);
  });
  it.each([
    ["a duplicate name", [entry, entry], "duplicate name"],
    ["a bundle outside the repository", [{ ...entry, bundle: "../x" }], "inside the repository"],
    ["an unknown auth", [{ ...entry, auth: "jwt" }], "auth must be iam or none"],
    ["a bad method", [{ ...entry, method: "TRACE" }], "bad method"],
    ["an unknown trigger", [{ ...worker, trigger: "cron" }], "bad trigger"],
    [
      "a worker with a route",
      [{ ...worker, method: "POST", path: "/v1/x", auth: "none" }],
      "has no method, path or auth",
    ],
  ])("rejects %s", (_what, value, message) => {
    expect(() => parseFunctions(JSON.stringify(value))).toThrow(message);
  });
});

describe("handler environment", () => {
  it("gives each variable its value and only the access it implies", () => {
    const { variables, statements } = handlerEnvironment("x", ["VETTID_TABLE_NAME", "VETTID_NATS_URLS"], resources);
    expect(variables).toEqual({
      ...BASE_HANDLER_ENVIRONMENT,
      VETTID_NATS_URLS: "tls://nats.example:4222",
      VETTID_TABLE_NAME: "t",
    });
    expect(statements.map((s) => s.Sid)).toEqual(["TableItems"]);
    expect(statements[0]?.Resource).toEqual([resources.tableArn, `${resources.tableArn}/index/*`]);
  });
  it("grants a secret only to handlers that list it", () => {
    const { statements } = handlerEnvironment("x", ["VETTID_NATS_DEVICE_SIGNING_SECRET_ID"], resources);
    expect(statements).toEqual([
      expect.objectContaining({ Action: "secretsmanager:GetSecretValue", Resource: "arn:secret:device" }),
    ]);
  });
  it("grants the operator secret to workers only, and stops on a route that asks for it", () => {
    const { statements } = handlerEnvironment("w", ["VETTID_NATS_OPERATOR_SECRET_ID"], resources, "worker");
    expect(statements).toEqual([
      expect.objectContaining({ Action: "secretsmanager:GetSecretValue", Resource: "arn:secret:operator" }),
    ]);
    expect(() => handlerEnvironment("r", ["VETTID_NATS_OPERATOR_SECRET_ID"], resources)).toThrow(
      "function r is a route and may not have VETTID_NATS_OPERATOR_SECRET_ID",
    );
  });
  it("gives a worker's table variable a read of the revocation item only", () => {
    const { statements } = handlerEnvironment("w", ["VETTID_TABLE_NAME"], resources, "worker");
    expect(statements).toEqual([
      {
        Sid: "RevocationItem",
        Effect: "Allow",
        Action: "dynamodb:GetItem",
        Resource: resources.tableArn,
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["NATS"] } },
      },
    ]);
  });
  it("stops on a variable the edge does not provide", () => {
    expect(() => handlerEnvironment("x", ["VETTID_SURPRISE"], resources)).toThrow(
      "function x needs VETTID_SURPRISE, which the edge stack does not provide",
    );
  });
});

describe("subnet arithmetic", () => {
  it("splits a /16 into /20s and fixes node addresses", () => {
    expect(subnetCidr("10.40.0.0/16", 3)).toBe("10.40.48.0/20");
    expect(hostAddress("10.40.0.0/16", 4, 10)).toBe("10.40.64.10");
  });
  it("rejects other shapes", () => {
    expect(() => subnetCidr("10.40.0.0/20", 0)).toThrow("must be a /16");
    expect(() => subnetCidr("10.40.0.0/16", 16)).toThrow("out of 0..15");
    expect(() => hostAddress("10.40.0.0/16", 0, 2)).toThrow("out of 4..254");
  });
});

describe("sealing key grant of one release", () => {
  it("conditions on the release's PCR0, a vault's encryption context, and bounds its validity window", () => {
    const statement = enclaveStatement(
      "arn:aws:iam::1:role/host",
      {
        id: "2026.11.28-1",
        pcr0: "a".repeat(96),
        status: "active",
        approvedAt: "2026-11-21T00:00:00Z",
        activatesAt: "2026-11-28T00:00:00Z",
        validUntil: "2027-01-01T00:00:00Z",
        eifSha384: null,
      },
      "2027-02-01T00:00:00Z",
    );
    expect(statement).toEqual({
      Sid: "AttestedEnclave202611281",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::1:role/host" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": "a".repeat(96) },
        StringLike: { "kms:EncryptionContext:vault": "vlt_*" },
        DateGreaterThan: { "aws:CurrentTime": "2026-11-28T00:00:00Z" },
        DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" },
      },
    });
  });
});

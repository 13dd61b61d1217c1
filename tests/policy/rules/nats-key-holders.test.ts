import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { TerraformStack } from "../../../stacks/cdktf";
import { NATS_SECRET_PURPOSES } from "../../../stacks/messaging";
import { assumeRolePolicy, policyDocument } from "../../../stacks/shared/policy";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { MINTING_SECRET_PURPOSES, natsKeyHolders } from "./nats-key-holders";

type Reach = "api" | "url" | "none";

/** A function with its own role that reads `resource`, reached from the internet as `reach` says. */
function fn(s: TerraformStack, id: string, resource: string, reach: Reach) {
  const role = new IamRole(s, `${id}-role`, { name: id, assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com") });
  new IamRolePolicy(s, `${id}-policy`, {
    role: role.id,
    name: "p",
    policy: policyDocument([
      { Sid: "Read", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: resource },
    ]),
  });
  const lambda = new LambdaFunction(s, id, {
    functionName: id,
    role: role.arn,
    runtime: "nodejs22.x",
    handler: "index.handler",
    filename: "x.zip",
  });
  if (reach === "api") {
    new LambdaPermission(s, `${id}-invoke`, {
      functionName: lambda.functionName,
      action: "lambda:InvokeFunction",
      principal: "apigateway.amazonaws.com",
    });
  }
  if (reach === "url")
    new LambdaFunctionUrl(s, `${id}-url`, { functionName: lambda.functionName, authorizationType: "NONE" });
}

function secret(s: TerraformStack, id: string, purpose: string) {
  return new SecretsmanagerSecret(s, id, { name: `vettid-dev/nats/${id}`, tags: { "vettid:purpose": purpose } });
}

/** The messaging secrets, the edge reading the device key, the publisher reading the operator key, plus `extra`. */
function topology(extra: (s: TerraformStack, secrets: { operator: string; device: string }) => void = () => {}) {
  return synthFresh((s) => {
    const operator = secret(s, "operator-signing-key", NATS_SECRET_PURPOSES.operatorSigning).arn;
    const device = secret(s, "device-signing-key", NATS_SECRET_PURPOSES.deviceSigning).arn;
    fn(s, "enrollments-create", device, "api");
    fn(s, "revocations-publish", operator, "none");
    extra(s, { operator, device });
  });
}

describe("rule nats-key-holders", () => {
  it("names the secrets the messaging stack tags", () => {
    expect(MINTING_SECRET_PURPOSES).toEqual([
      NATS_SECRET_PURPOSES.operatorSigning,
      NATS_SECRET_PURPOSES.accountSigning,
    ]);
  });

  it("passes: the edge reads the scoped device key; only a function no route reaches reads the operator key", () => {
    expect(natsKeyHolders.check(topology(), CONTEXT)).toEqual([]);
  });

  it("fails an internet-facing function that reads the operator signing key (revocation on the edge)", () => {
    const synth = topology((s, { operator }) => fn(s, "devices-revoke", operator, "api"));
    expect(natsKeyHolders.check(synth, CONTEXT)).toEqual([
      expect.objectContaining({
        address: "aws_iam_role_policy.devices-revoke-policy",
        message: expect.stringContaining("devices-revoke is internet-facing and statement Read reads"),
      }),
    ]);
  });

  it.each([
    ["every secret", "*"],
    ["a name pattern over the NATS secrets", "arn:aws:secretsmanager:eu-central-1:1:secret:vettid-dev/nats/*"],
  ])("fails an internet-facing function that reads %s", (_label, resource) => {
    const synth = topology((s) => fn(s, "devices-credentials", resource, "api"));
    expect(natsKeyHolders.check(synth, CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringContaining("operator-signing-key") }),
    ]);
  });

  it("fails a function URL that reads an unscoped account signing key", () => {
    const synth = topology((s) => {
      const account = secret(s, "account-signing-key", NATS_SECRET_PURPOSES.accountSigning).arn;
      fn(s, "mint", account, "url");
    });
    expect(natsKeyHolders.check(synth, CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringContaining("aws_secretsmanager_secret.account-signing-key") }),
    ]);
  });

  it("fails when there is no operator signing secret or no internet-facing function (never vacuously green)", () => {
    const empty = synthFresh(() => {});
    expect(natsKeyHolders.check(empty, CONTEXT).map((f) => f.message)).toEqual([
      "no NATS operator signing secret",
      "no internet-facing function",
    ]);
  });
});

import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { assumeRolePolicy, policyDocument, type Statement } from "../../../stacks/shared/policy";
import { HEARTBEAT_ATTRIBUTES, OWN_HEARTBEAT_PARTITION } from "../../../stacks/vault-fleet";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { heartbeatRowScope } from "./heartbeat-row-scope";

const TABLE = "arn:aws:dynamodb:eu-central-1:1:table/t";

function instanceRoleWith(statement: Statement, service = "ec2.amazonaws.com") {
  return synthFresh((s) => {
    const role = new IamRole(s, "host", { name: "host", assumeRolePolicy: assumeRolePolicy(service) });
    new IamRolePolicy(s, "p", { role: role.id, name: "p", policy: policyDocument([statement]) });
  });
}

const heartbeat = (leadingKeys?: string[]): Statement => ({
  Sid: "Heartbeat",
  Effect: "Allow",
  Action: "dynamodb:UpdateItem",
  Resource: TABLE,
  ...(leadingKeys
    ? {
        Condition: {
          "ForAllValues:StringEquals": {
            "dynamodb:LeadingKeys": leadingKeys,
            "dynamodb:Attributes": [...HEARTBEAT_ATTRIBUTES],
          },
        },
      }
    : {}),
});

describe("rule heartbeat-row-scope", () => {
  it("passes a heartbeat write scoped to the instance's own ARN (as the vault fleet writes it)", () => {
    expect(heartbeatRowScope.check(instanceRoleWith(heartbeat([OWN_HEARTBEAT_PARTITION])), CONTEXT)).toEqual([]);
  });
  it("fails the shared HOST partition, where any host rewrites every other host's row", () => {
    expect(heartbeatRowScope.check(instanceRoleWith(heartbeat(["HOST"])), CONTEXT)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          address: "aws_iam_role_policy.p",
          message: "statement Heartbeat writes partitions other than its own: HOST",
        }),
      ]),
    );
  });
  it("fails own partition plus another one", () => {
    const synth = instanceRoleWith(heartbeat([OWN_HEARTBEAT_PARTITION, "HOST#*"]));
    expect(heartbeatRowScope.check(synth, CONTEXT)).toEqual(
      expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining("other than its own") })]),
    );
  });
  it("fails an item write without any LeadingKeys condition", () => {
    expect(heartbeatRowScope.check(instanceRoleWith(heartbeat()), CONTEXT)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: "statement Heartbeat writes items without a dynamodb:LeadingKeys condition",
        }),
      ]),
    );
  });
  it("fails when no instance role writes a heartbeat at all (never vacuously green)", () => {
    const lambdaRole = instanceRoleWith(heartbeat([OWN_HEARTBEAT_PARTITION]), "lambda.amazonaws.com");
    expect(heartbeatRowScope.check(lambdaRole, CONTEXT)).toEqual([
      expect.objectContaining({ message: "no instance role writes its heartbeat under its own instance ARN" }),
    ]);
  });
});

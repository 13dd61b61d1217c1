import { CONTEXT } from "../fresh-stack";
import { keyWithStandardPolicy, roleWith, scoped } from "./iam.examples";
import { iamNoUnscopedResources } from "./iam-no-unscoped-resources";

const metrics = {
  Sid: "Metrics",
  Effect: "Allow" as const,
  Action: "cloudwatch:PutMetricData",
  Resource: "*",
  Condition: { StringEquals: { "cloudwatch:namespace": "VettID/VaultHost" } },
};

describe("rule iam-no-unscoped-resources", () => {
  it("passes scoped resources, a justified * with its condition, key policies and SSM core", () => {
    const ssm = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    expect(iamNoUnscopedResources.check(roleWith([scoped, metrics], ssm), CONTEXT)).toEqual([]);
    expect(iamNoUnscopedResources.check(keyWithStandardPolicy(), CONTEXT)).toEqual([]);
  });
  it("passes writing X-Ray traces on *, which X-Ray offers no resource or condition to scope", () => {
    const traces = {
      Sid: "Traces",
      Effect: "Allow" as const,
      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      Resource: "*",
    };
    expect(iamNoUnscopedResources.check(roleWith([scoped, traces]), CONTEXT)).toEqual([]);
  });
  it("fails reading X-Ray traces on * beside writing them", () => {
    const reads = {
      Sid: "Reads",
      Effect: "Allow" as const,
      Action: ["xray:PutTraceSegments", "xray:BatchGetTraces"],
      Resource: "*",
    };
    expect(iamNoUnscopedResources.check(roleWith([reads]), CONTEXT)).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/statement Reads applies xray:BatchGetTraces to Resource "\*"/),
      }),
    ]);
  });
  it("fails an action on * that AWS does not require", () => {
    const star = { ...scoped, Sid: "Star", Resource: "*" };
    expect(iamNoUnscopedResources.check(roleWith([star]), CONTEXT)).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/statement Star applies dynamodb:GetItem, dynamodb:PutItem/),
      }),
    ]);
  });
  it("fails an allow-listed action on * without its confining condition", () => {
    const { Condition: _dropped, ...bare } = metrics;
    expect(iamNoUnscopedResources.check(roleWith([bare]), CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/without its confining condition/) }),
    ]);
  });
  it("fails a managed policy that is not justified", () => {
    const admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    expect(iamNoUnscopedResources.check(roleWith([scoped], admin), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_iam_role_policy_attachment.m" }),
    ]);
  });
});

import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { CONTEXT, synthFresh } from "../fresh-stack";
import { lambdaRuntime } from "./lambda-runtime";

const fn = (runtime: string) =>
  synthFresh((s) => {
    new LambdaFunction(s, "f", {
      functionName: "f",
      role: "arn:aws:iam::1:role/r",
      runtime,
      handler: "index.handler",
      filename: "f.zip",
    });
  });

describe("rule lambda-runtime", () => {
  it.each(["nodejs22.x", "nodejs24.x"])("passes %s", (runtime) => {
    expect(lambdaRuntime.check(fn(runtime), CONTEXT)).toEqual([]);
  });
  it.each(["nodejs18.x", "python3.12"])("fails %s", (runtime) => {
    expect(lambdaRuntime.check(fn(runtime), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_lambda_function.f", message: `runtime ${runtime} is not allowed` }),
    ]);
  });
});

import { CONTEXT } from "../fresh-stack";
import { lambdaWith } from "./lambda.examples";
import { lambdaRuntime } from "./lambda-runtime";

const fn = (runtime: string) => lambdaWith({ runtime });

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

import { CONTEXT } from "../fresh-stack";
import { lambdaWith } from "./lambda.examples";
import { lambdaTracing } from "./lambda-tracing";

const QUIET = { POWERTOOLS_TRACER_CAPTURE_RESPONSE: "false", POWERTOOLS_TRACER_CAPTURE_ERROR: "false" };

const fn = (mode: string | undefined, variables: Record<string, string> | undefined) =>
  lambdaWith({ ...(mode ? { tracingConfig: { mode } } : {}), ...(variables ? { environment: { variables } } : {}) });

describe("rule lambda-tracing", () => {
  it("passes active tracing that records neither answers nor error text", () => {
    expect(lambdaTracing.check(fn("Active", { ...QUIET, VETTID_ENV: "dev" }), CONTEXT)).toEqual([]);
  });
  it.each([
    ["no tracing", undefined, "tracing_config.mode is not Active"],
    ["pass-through tracing", "PassThrough", "tracing_config.mode is not Active"],
  ])("fails %s", (_what, mode, message) => {
    expect(lambdaTracing.check(fn(mode, QUIET), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_lambda_function.f", message }),
    ]);
  });
  it.each([
    [
      "answers recorded",
      { ...QUIET, POWERTOOLS_TRACER_CAPTURE_RESPONSE: "true" },
      "POWERTOOLS_TRACER_CAPTURE_RESPONSE",
    ],
    ["the answer setting left out", { POWERTOOLS_TRACER_CAPTURE_ERROR: "false" }, "POWERTOOLS_TRACER_CAPTURE_RESPONSE"],
    ["error text recorded", { POWERTOOLS_TRACER_CAPTURE_RESPONSE: "false" }, "POWERTOOLS_TRACER_CAPTURE_ERROR"],
  ])("fails %s", (_what, variables, name) => {
    expect(lambdaTracing.check(fn("Active", variables), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_lambda_function.f", message: `${name} is not "false"` }),
    ]);
  });
});

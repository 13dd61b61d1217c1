import { CONTEXT } from "../fresh-stack";
import { lambdaWith } from "./lambda.examples";
import { lambdaSourceMaps } from "./lambda-source-maps";

const fn = (variables: Record<string, string> | undefined) =>
  lambdaWith(variables ? { environment: { variables } } : {});

describe("rule lambda-source-maps", () => {
  it.each([
    ["no environment", undefined],
    ["other variables", { VETTID_ENV: "dev" }],
    ["other Node options", { NODE_OPTIONS: "--max-old-space-size=256" }],
  ])("passes %s", (_what, variables) => {
    expect(lambdaSourceMaps.check(fn(variables), CONTEXT)).toEqual([]);
  });
  it.each([
    ["the flag alone", "--enable-source-maps"],
    ["the flag among others", "--max-old-space-size=256 --enable-source-maps"],
  ])("fails %s", (_what, nodeOptions) => {
    expect(lambdaSourceMaps.check(fn({ NODE_OPTIONS: nodeOptions }), CONTEXT)).toEqual([
      expect.objectContaining({
        address: "aws_lambda_function.f",
        message: "NODE_OPTIONS enables source maps at init",
      }),
    ]);
  });
});

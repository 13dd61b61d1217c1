import { finding, type PolicyRule, resources } from "../terraform";

/**
 * No Lambda loads source maps at init: `--enable-source-maps` in `NODE_OPTIONS` makes
 * Node read and parse each bundle's map on every cold start (docs/decisions/0059).
 * An operator sets it on one function while investigating, outside the stacks.
 */
export const lambdaSourceMaps: PolicyRule = {
  id: "lambda-source-maps",
  description: "Lambda functions do not set --enable-source-maps in NODE_OPTIONS",
  check(synth) {
    return resources(synth, "aws_lambda_function")
      .filter((f) => {
        const variables = (f.body.environment as { variables?: Record<string, unknown> } | undefined)?.variables;
        return /--enable-source-maps\b/.test(String(variables?.NODE_OPTIONS ?? ""));
      })
      .map((f) => finding(this.id, f, "NODE_OPTIONS enables source maps at init"));
  },
};

import { finding, type PolicyRule, resources } from "../terraform";

/** Runtimes the handlers may use: supported Node.js LTS lines. */
export const ALLOWED_RUNTIMES = ["nodejs22.x", "nodejs24.x"] as const;

/** Every Lambda runs on an allowed Node.js runtime. */
export const lambdaRuntime: PolicyRule = {
  id: "lambda-runtime",
  description: `Lambda functions run on ${ALLOWED_RUNTIMES.join(" or ")}`,
  check(synth) {
    return resources(synth, "aws_lambda_function")
      .filter((f) => !(ALLOWED_RUNTIMES as readonly unknown[]).includes(f.body.runtime))
      .map((f) => finding(this.id, f, `runtime ${String(f.body.runtime)} is not allowed`));
  },
};

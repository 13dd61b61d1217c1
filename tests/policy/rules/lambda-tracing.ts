import { finding, type PolicyRule, resources } from "../terraform";

/**
 * Every Lambda function is traced by X-Ray (active tracing) and its traces never
 * hold an answer or an error's text: `POWERTOOLS_TRACER_CAPTURE_RESPONSE` and
 * `POWERTOOLS_TRACER_CAPTURE_ERROR` are `"false"`. Edge answers carry NATS
 * credentials and invitation codes, which must not reach a store operators read
 * (docs/decisions/0065).
 */
export const lambdaTracing: PolicyRule = {
  id: "lambda-tracing",
  description: "Lambda functions use active X-Ray tracing and never record answers or error text in traces",
  check(synth) {
    return resources(synth, "aws_lambda_function").flatMap((f) => {
      const out = [];
      const tracing = f.body.tracing_config as { mode?: unknown } | undefined;
      if (tracing?.mode !== "Active") out.push(finding(this.id, f, "tracing_config.mode is not Active"));
      const variables = (f.body.environment as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
      for (const name of ["POWERTOOLS_TRACER_CAPTURE_RESPONSE", "POWERTOOLS_TRACER_CAPTURE_ERROR"]) {
        if (variables[name] !== "false") out.push(finding(this.id, f, `${name} is not "false"`));
      }
      return out;
    });
  },
};

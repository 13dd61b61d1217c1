import { finding, type PolicyRule, resources } from "../terraform";

/** Every log group has a retention (logs never accumulate forever). */
export const logRetention: PolicyRule = {
  id: "log-retention",
  description: "CloudWatch log groups have a retention period",
  check(synth) {
    return resources(synth, "aws_cloudwatch_log_group")
      .filter((g) => typeof g.body.retention_in_days !== "number" || g.body.retention_in_days <= 0)
      .map((g) => finding(this.id, g, "no retention_in_days"));
  },
};

import { block, finding, type PolicyRule, resources } from "../terraform";

/** Every instance and launch template requires IMDSv2 session tokens (http_tokens = required). */
export const imdsv2: PolicyRule = {
  id: "imdsv2",
  description: "Instances and launch templates require IMDSv2",
  check(synth) {
    return [...resources(synth, "aws_instance"), ...resources(synth, "aws_launch_template")]
      .filter((r) => block(r.body.metadata_options)?.http_tokens !== "required")
      .map((r) => finding(this.id, r, "metadata_options.http_tokens is not required (IMDSv1 allowed)"));
  },
};

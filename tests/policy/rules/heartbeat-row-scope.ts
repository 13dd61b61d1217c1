import {
  type Finding,
  finding,
  type IamStatement,
  list,
  type PolicyRule,
  refersTo,
  resources,
  statements,
} from "../terraform";

/**
 * The one partition an instance may write: its own heartbeat, `HOST#` + the instance's
 * ARN as IAM fills it from instance-profile credentials (the policy variable
 * `ec2:SourceInstanceARN`). Terraform JSON escapes the variable's `${` as `$${`.
 */
const OWN_PARTITION = "HOST#$${ec2:SourceInstanceARN}";

/** DynamoDB actions that write items. */
function writesItems(action: string): boolean {
  return (
    action === "*" ||
    action === "dynamodb:*" ||
    ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"].includes(action) ||
    action === "dynamodb:PartiQLInsert" ||
    action === "dynamodb:PartiQLUpdate" ||
    action === "dynamodb:PartiQLDelete"
  );
}

/** The values of `dynamodb:LeadingKeys` under `ForAllValues:StringEquals`, or undefined. */
function leadingKeys(s: IamStatement): string[] | undefined {
  const v = s.Condition?.["ForAllValues:StringEquals"]?.["dynamodb:LeadingKeys"];
  return v === undefined ? undefined : list(v as string | string[]);
}

/**
 * Roles that EC2 instances assume (vault hosts, NATS nodes) write DynamoDB items only in
 * their own heartbeat partition: every Allow of an item write in their policies carries
 * `ForAllValues:StringEquals` `dynamodb:LeadingKeys` = [OWN_PARTITION],
 * nothing wider (no fixed `HOST` partition that every host shares). At least one role
 * writes a heartbeat that way, so the rule never passes vacuously.
 */
export const heartbeatRowScope: PolicyRule = {
  id: "heartbeat-row-scope",
  description: "Instance roles write only their own heartbeat row (LeadingKeys = HOST# + ec2:SourceInstanceARN)",
  check(synth) {
    const out: Finding[] = [];
    const instanceRoles = resources(synth, "aws_iam_role").filter((role) =>
      statements(role.body.assume_role_policy).some((s) =>
        list((s.Principal as { Service?: string | string[] } | undefined)?.Service).includes("ec2.amazonaws.com"),
      ),
    );
    let scoped = 0;
    for (const policy of resources(synth, "aws_iam_role_policy")) {
      const role = instanceRoles.find((r) => r.stack === policy.stack && refersTo(policy.body.role, r.type, r.name));
      if (role === undefined) continue;
      for (const s of statements(policy.body.policy)) {
        if (s.Effect !== "Allow" || !list(s.Action).some(writesItems)) continue;
        const keys = leadingKeys(s);
        const sid = s.Sid ?? "?";
        if (keys === undefined || keys.length === 0) {
          out.push(finding(this.id, policy, `statement ${sid} writes items without a dynamodb:LeadingKeys condition`));
        } else if (!keys.every((k) => k === OWN_PARTITION)) {
          out.push(
            finding(this.id, policy, `statement ${sid} writes partitions other than its own: ${keys.join(", ")}`),
          );
        } else {
          scoped++;
        }
      }
    }
    if (scoped === 0) {
      out.push({
        rule: this.id,
        stack: "*",
        address: "aws_iam_role_policy",
        message: "no instance role writes its heartbeat under its own instance ARN",
      });
    }
    return out;
  },
};

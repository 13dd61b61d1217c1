import {
  type Finding,
  finding,
  type IamStatement,
  list,
  type PolicyRule,
  policyDocuments,
  resources,
} from "../terraform";

/**
 * Actions AWS authorizes only on `Resource: "*"` (no resource-level permissions), each
 * with why it is needed and what confines it instead.
 */
export const STAR_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  // CloudWatch metrics have no ARNs; the statement must carry a cloudwatch:namespace condition.
  "cloudwatch:PutMetricData": "vault hosts publish enclave health (VettID/VaultHost namespace only)",
  // X-Ray has neither resource ARNs nor condition keys for writing traces: the edge
  // functions send their segments (docs/decisions/0065); writing traces reads nothing.
  "xray:PutTraceSegments": "edge functions send their trace segments (X-Ray has no resource-level permissions)",
  "xray:PutTelemetryRecords": "edge functions send X-Ray telemetry (X-Ray has no resource-level permissions)",
};

/** Conditions that must accompany each allow-listed `*` action. */
const REQUIRED_CONDITION: Readonly<Record<string, string>> = {
  "cloudwatch:PutMetricData": "cloudwatch:namespace",
};

/**
 * AWS managed policies that may be attached, with why. Their statements use
 * `Resource: "*"` by AWS's design, so each is justified here.
 */
export const ALLOWED_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore":
    "Session Manager on the hosts: the only shell access (no SSH); ssm/ssmmessages/ec2messages have no resource-level permissions",
};

function conditionKeys(s: IamStatement): string[] {
  return Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
}

/**
 * No Allow statement applies to `Resource: "*"` (or NotResource) unless:
 * - it is in a KMS key policy, where `*` means "this key" (AWS requires it), or
 * - every action is one AWS authorizes only on `*` (listed above) and the statement
 *   carries the condition that confines it.
 * Trust policies have no Resource. Managed policy attachments must be in the allow-list.
 */
export const iamNoUnscopedResources: PolicyRule = {
  id: "iam-no-unscoped-resources",
  description: 'IAM Allow statements scope their resources (no unjustified "*")',
  check(synth) {
    const out: Finding[] = [];
    for (const doc of policyDocuments(synth)) {
      if (doc.kind === "key" || doc.kind === "trust") continue;
      for (const s of doc.statements) {
        if (s.Effect !== "Allow") continue;
        const sid = s.Sid ?? "?";
        if (s.NotResource !== undefined) out.push(finding(this.id, doc.ref, `statement ${sid} uses NotResource`));
        if (!list(s.Resource).includes("*")) continue;
        const actions = list(s.Action);
        const unjustified = actions.filter((a) => STAR_RESOURCE_ACTIONS[a] === undefined);
        if (unjustified.length > 0 || actions.length === 0) {
          out.push(finding(this.id, doc.ref, `statement ${sid} applies ${unjustified.join(", ")} to Resource "*"`));
          continue;
        }
        const keys = conditionKeys(s);
        const missing = actions.filter((a) => {
          const required = REQUIRED_CONDITION[a];
          return required !== undefined && !keys.includes(required);
        });
        if (missing.length > 0) {
          out.push(
            finding(this.id, doc.ref, `statement ${sid}: ${missing.join(", ")} on "*" without its confining condition`),
          );
        }
      }
    }
    for (const attachment of resources(synth, "aws_iam_role_policy_attachment")) {
      const arn = String(attachment.body.policy_arn);
      if (arn.startsWith("arn:aws:iam::aws:policy/") && ALLOWED_MANAGED_POLICIES[arn] === undefined) {
        out.push(finding(this.id, attachment, `managed policy ${arn} is not in the justified allow-list`));
      }
    }
    return out;
  },
};

import {
  covers,
  type Finding,
  finding,
  type IamStatement,
  list,
  type PolicyRule,
  type ResourceRef,
  resources,
  statements,
} from "../terraform";

/** Tag values of the locked keys: whoever changes their policy reaches every vault, or signs a release. */
export const LOCKED_KEY_PURPOSES = ["vault-sealing", "manifest-signing"] as const;

/**
 * What the account root (and so any IAM principal of the account) may do to a locked key.
 * docs/infrastructure.md justifies each line; none changes who may use the key.
 */
export const ROOT_MAY = new Set([
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListResourceTags",
  "kms:DisableKey",
  "kms:EnableKey",
  "kms:CancelKeyDeletion",
  // public-key operations of the signing key: reveal nothing, sign nothing
  "kms:GetPublicKey",
  "kms:Verify",
]);

/** The AWS principals of a statement (`*` for Principal "*" or AWS "*"). */
function principals(s: IamStatement): string[] {
  if (s.Principal === "*") return ["*"];
  const p = s.Principal as { AWS?: string | string[] } | undefined;
  return list(p?.AWS);
}

function isAccountRoot(principal: string): boolean {
  return principal === "*" || /^\d{12}$/.test(principal) || /^arn:aws[a-z-]*:iam::\d+:root$/.test(principal);
}

function lockedKeys(synth: Parameters<PolicyRule["check"]>[0]): ResourceRef[] {
  return resources(synth, "aws_kms_key").filter((k) => {
    const tags = k.body.tags as Record<string, unknown> | undefined;
    return LOCKED_KEY_PURPOSES.some((p) => tags?.["vettid:purpose"] === p);
  });
}

/**
 * The sealing key and the manifest signing key exist and are locked:
 * - `kms:PutKeyPolicy` is allowed to the release role alone (never the root, an
 *   administrator, `*`, or a wildcard action), and to it at least once, so the key stays
 *   manageable through the reviewed release path;
 * - a Deny refuses PutKeyPolicy with `kms:BypassPolicyLockoutSafetyCheck` true, and the
 *   key (and any separate key policy resource) does not bypass the check at creation;
 * - no statement allows `kms:CreateGrant` (a grant would bypass the policy's conditions);
 * - the account root is allowed nothing beyond {@link ROOT_MAY}, listed (no wildcards).
 */
export const keyPolicyLockdown: PolicyRule = {
  id: "key-policy-lockdown",
  description:
    "Only the release role may replace the policy of the sealing and signing keys; root only reads and stops",
  check(synth, context) {
    const out: Finding[] = [];
    const keys = lockedKeys(synth);
    for (const purpose of LOCKED_KEY_PURPOSES) {
      if (!keys.some((k) => (k.body.tags as Record<string, unknown>)["vettid:purpose"] === purpose)) {
        out.push({ rule: this.id, stack: "*", address: "aws_kms_key", message: `no ${purpose} key in the app` });
      }
    }
    for (const key of keys) {
      const separate = resources(synth, "aws_kms_key_policy").filter(
        (p) => p.stack === key.stack && String(p.body.key_id).includes(`aws_kms_key.${key.name}.`),
      );
      for (const r of [key, ...separate]) {
        if (r.body.bypass_policy_lockout_safety_check !== false) {
          out.push(finding(this.id, r, "bypass_policy_lockout_safety_check is not set to false"));
        }
      }
      const all = [key.body.policy, ...separate.map((p) => p.body.policy)].flatMap(statements);
      let releaseRolePuts = 0;
      const refusesBypass = all.some(
        (s) =>
          s.Effect === "Deny" &&
          principals(s).includes("*") &&
          list(s.Action).some((a) => covers(a, "kms:PutKeyPolicy")) &&
          String(s.Condition?.Bool?.["kms:BypassPolicyLockoutSafetyCheck"]) === "true",
      );
      if (!refusesBypass) out.push(finding(this.id, key, "no Deny of PutKeyPolicy that bypasses the lockout check"));
      for (const s of all) {
        if (s.Effect !== "Allow") continue;
        const sid = s.Sid ?? "?";
        const actions = list(s.Action);
        const who = principals(s);
        if (s.NotAction !== undefined) out.push(finding(this.id, key, `statement ${sid} uses NotAction`));
        if (actions.some((a) => covers(a, "kms:PutKeyPolicy"))) {
          const others = who.filter((p) => p !== context.releaseRoleArn);
          if (others.length > 0 || who.length === 0) {
            out.push(finding(this.id, key, `statement ${sid} lets ${others.join(", ") || "a service"} PutKeyPolicy`));
          } else {
            releaseRolePuts++;
          }
        }
        if (actions.some((a) => covers(a, "kms:CreateGrant"))) {
          out.push(finding(this.id, key, `statement ${sid} allows CreateGrant`));
        }
        if (who.some(isAccountRoot)) {
          const beyond = actions.filter((a) => !ROOT_MAY.has(a));
          if (beyond.length > 0) {
            out.push(finding(this.id, key, `statement ${sid} gives the account ${beyond.join(", ")}`));
          }
        }
      }
      if (releaseRolePuts === 0) {
        out.push(finding(this.id, key, "the release role cannot PutKeyPolicy (the key would be unmanageable)"));
      }
    }
    return out;
  },
};

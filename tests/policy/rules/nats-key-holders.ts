import {
  covers,
  type Finding,
  finding,
  list,
  mentions,
  type PolicyRule,
  type ResourceRef,
  refersTo,
  resources,
  statements,
} from "../terraform";

/**
 * Secrets whose seeds mint NATS accounts or unscoped users (`vettid:purpose` tags, as
 * stacks/messaging.ts `NATS_SECRET_PURPOSES` sets them): the operator signing key with the
 * system user, and an unscoped account signing key. The device signing key is scoped by
 * the account JWT and is the one NATS secret the edge may read.
 *
 * The runtime signing key (lib/nats-auth/enclave-scope.ts, decision 0072) has no purpose
 * here, on purpose: it is scoped by the account JWT too (a JWT it signs gets the runtime
 * template only), and its seed is no Secrets Manager secret but a KMS ciphertext under
 * the sealing key that only an attested enclave may decrypt (stacks/keys.ts
 * `natsKeyStatement`, the `sealing-key-vault-context` rule), so no function's
 * `secretsmanager:GetSecretValue` reaches it.
 */
export const MINTING_SECRET_PURPOSES = ["nats-operator-signing", "nats-account-signing"] as const;

/** Principals through which the internet reaches a function (API Gateway; a function URL is anyone). */
const INTERNET_PRINCIPALS = ["apigateway.amazonaws.com", "*"];

function isMintingSecret(secret: ResourceRef): boolean {
  const purpose = (secret.body.tags as Record<string, unknown> | undefined)?.["vettid:purpose"];
  return MINTING_SECRET_PURPOSES.some((p) => p === purpose);
}

/** Functions the internet can invoke: an invoke permission for API Gateway or anyone, or a function URL. */
function internetFacing(synth: Parameters<PolicyRule["check"]>[0]): ResourceRef[] {
  const functions = resources(synth, "aws_lambda_function");
  const reached = (fn: ResourceRef) =>
    resources(synth, "aws_lambda_permission").some(
      (p) =>
        p.stack === fn.stack &&
        refersTo(p.body.function_name, fn.type, fn.name) &&
        INTERNET_PRINCIPALS.includes(String(p.body.principal)),
    ) ||
    resources(synth, "aws_lambda_function_url").some(
      (u) => u.stack === fn.stack && refersTo(u.body.function_name, fn.type, fn.name),
    );
  return functions.filter(reached);
}

/** Whether an IAM `Resource` entry may name `secret`: a reference to it, `*`, or a pattern over its name. */
function namesSecret(resource: string, secret: ResourceRef, fromStack: string): boolean {
  if (mentions(resource, secret, "arn", fromStack) || mentions(resource, secret, "id", fromStack)) return true;
  if (resource === "*") return true;
  const name = typeof secret.body.name === "string" ? secret.body.name : undefined;
  if (name === undefined || !resource.includes("*") || resource.includes("${")) return false;
  // Secrets Manager ARNs end in the name plus a random 6-character suffix.
  const pattern = resource.replace(/^arn:aws:secretsmanager:[^:]*:[^:]*:/, "arn:aws:secretsmanager:*:*:");
  return covers(pattern, `arn:aws:secretsmanager:r:0:secret:${name}-AbCdEf`);
}

/**
 * No internet-facing function can read a secret that mints NATS accounts or unscoped
 * users (decision 0063): for each Lambda function that API Gateway (or anyone, or a
 * function URL) may invoke, no statement of its role's inline policies allows
 * `secretsmanager:GetSecretValue` on such a secret, by reference, `*` or a name pattern;
 * and its role has no managed policy attached (which this rule cannot read). Never
 * vacuously green: the output must hold an internet-facing function and the operator
 * signing secret.
 */
export const natsKeyHolders: PolicyRule = {
  id: "nats-key-holders",
  description: "No internet-facing Lambda can read the NATS operator signing key or an unscoped account signing key",
  check(synth) {
    const out: Finding[] = [];
    const secrets = resources(synth, "aws_secretsmanager_secret").filter(isMintingSecret);
    const facing = internetFacing(synth);
    if (!secrets.some((s) => (s.body.tags as Record<string, unknown>)["vettid:purpose"] === "nats-operator-signing")) {
      out.push({
        rule: this.id,
        stack: "*",
        address: "aws_secretsmanager_secret",
        message: "no NATS operator signing secret",
      });
    }
    if (facing.length === 0) {
      out.push({ rule: this.id, stack: "*", address: "aws_lambda_function", message: "no internet-facing function" });
    }
    for (const fn of facing) {
      const role = resources(synth, "aws_iam_role").find(
        (r) => r.stack === fn.stack && refersTo(fn.body.role, r.type, r.name),
      );
      if (role === undefined) {
        out.push(finding(this.id, fn, "its role is not a role of this stack; cannot tell what it may read"));
        continue;
      }
      for (const attachment of resources(synth, "aws_iam_role_policy_attachment")) {
        if (attachment.stack === fn.stack && refersTo(attachment.body.role, role.type, role.name)) {
          out.push(
            finding(this.id, attachment, `${fn.name} is internet-facing; its role may not carry managed policies`),
          );
        }
      }
      for (const policy of resources(synth, "aws_iam_role_policy")) {
        if (policy.stack !== fn.stack || !refersTo(policy.body.role, role.type, role.name)) continue;
        for (const s of statements(policy.body.policy)) {
          if (s.Effect !== "Allow" || !list(s.Action).some((a) => covers(a, "secretsmanager:GetSecretValue"))) continue;
          for (const secret of secrets) {
            if (list(s.Resource).some((r) => namesSecret(r, secret, fn.stack))) {
              out.push(
                finding(
                  this.id,
                  policy,
                  `${fn.name} is internet-facing and statement ${s.Sid ?? "?"} reads ${secret.address}`,
                ),
              );
            }
          }
        }
      }
    }
    return out;
  },
};

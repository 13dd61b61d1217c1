/**
 * Reading synthesized Terraform JSON (cdktf.out/stacks/<stack>/cdk.tf.json) for the
 * policy rules: resources by type, references between them, and IAM documents.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One stack's cdk.tf.json (only the parts the rules read). */
export interface TerraformJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  [key: string]: unknown;
}

/** The synthesized output of an app: stack name → its Terraform JSON. */
export type Synth = Record<string, TerraformJson>;

/** One violation: where (stack + Terraform address) and why. */
export interface Finding {
  rule: string;
  stack: string;
  address: string;
  message: string;
}

/**
 * What rules may know beyond the Terraform: the PCR0s of the manifest's active releases,
 * and the environment's release role (the only principal that may change a locked key's policy).
 */
export interface RuleContext {
  /** Empty before the environment's first release (no signed manifest committed). */
  activePcr0s: readonly string[];
  releaseRoleArn: string;
}

/** A rule: a pure function from the synthesized app to its findings. */
export interface PolicyRule {
  id: string;
  description: string;
  check(synth: Synth, context: RuleContext): Finding[];
}

/** A resource instance with its stack and address. */
export interface ResourceRef {
  stack: string;
  type: string;
  name: string;
  address: string;
  body: Record<string, unknown>;
}

/** Reads every `stacks/<name>/cdk.tf.json` under a cdktf output directory. */
export function loadSynth(outdir: string): Synth {
  const synth: Synth = {};
  for (const name of readdirSync(join(outdir, "stacks")).sort()) {
    synth[name] = JSON.parse(readFileSync(join(outdir, "stacks", name, "cdk.tf.json"), "utf8")) as TerraformJson;
  }
  return synth;
}

/** Every resource of `type` in every stack. */
export function resources(synth: Synth, type: string): ResourceRef[] {
  const out: ResourceRef[] = [];
  for (const [stack, tf] of Object.entries(synth)) {
    for (const [name, body] of Object.entries(tf.resource?.[type] ?? {})) {
      out.push({ stack, type, name, address: `${type}.${name}`, body });
    }
  }
  return out;
}

/** Whether `value` (an attribute) is a reference to resource `type.name` in the same stack. */
export function refersTo(value: unknown, type: string, name: string): boolean {
  return typeof value === "string" && value.includes(`\${${type}.${name}.`);
}

/**
 * Whether `value` refers to attribute `attribute` of resource `ref`: directly in the same
 * stack, or through the remote-state output CDKTF creates for a cross-stack reference.
 */
export function mentions(value: unknown, ref: ResourceRef, attribute: string, fromStack: string): boolean {
  if (typeof value !== "string") return false;
  if (ref.stack === fromStack) return value.includes(`\${${ref.type}.${ref.name}.${attribute}}`);
  return value.includes(
    `cross-stack-reference-input-${ref.stack}.outputs.cross-stack-output-${ref.type}${ref.name}${attribute}}`,
  );
}

/** The first element of a block that Terraform JSON may write as an object or a one-element list. */
export function block(value: unknown): Record<string, unknown> | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
}

/** All elements of a block that may be an object or a list. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value))
    return value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
  const one = block(value);
  return one === undefined ? [] : [one];
}

/** An IAM statement as found in a policy document. */
export interface IamStatement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document given as JSON text (as the stacks write them). */
export function statements(policy: unknown): IamStatement[] {
  if (typeof policy !== "string") return [];
  const doc = JSON.parse(policy) as { Statement?: IamStatement | IamStatement[] };
  if (doc.Statement === undefined) return [];
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

/** Whether `pattern` (an IAM action, possibly with wildcards) covers `action` (case-insensitive, as IAM compares). */
export function covers(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");
  return re.test(action);
}

/** A string or list as a list. */
export function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A finding for `ref`. */
export function finding(rule: string, ref: ResourceRef, message: string): Finding {
  return { rule, stack: ref.stack, address: ref.address, message };
}

/** Where a policy document sits, which decides what `Resource: "*"` means in it. */
export type PolicyKind = "identity" | "key" | "resource" | "trust";

/** A policy document found in the Terraform, with its statements. */
export interface PolicyDocumentRef {
  ref: ResourceRef;
  kind: PolicyKind;
  statements: IamStatement[];
}

const POLICY_ATTRIBUTES: readonly { type: string; attribute: string; kind: PolicyKind }[] = [
  { type: "aws_iam_role_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_user_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_group_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_role", attribute: "assume_role_policy", kind: "trust" },
  { type: "aws_kms_key", attribute: "policy", kind: "key" },
  { type: "aws_kms_key_policy", attribute: "policy", kind: "key" },
  { type: "aws_s3_bucket_policy", attribute: "policy", kind: "resource" },
  { type: "aws_sns_topic_policy", attribute: "policy", kind: "resource" },
  { type: "aws_secretsmanager_secret_policy", attribute: "policy", kind: "resource" },
];

/** Every IAM policy document in the app (identity, key, resource and trust policies). */
export function policyDocuments(synth: Synth): PolicyDocumentRef[] {
  const out: PolicyDocumentRef[] = [];
  for (const { type, attribute, kind } of POLICY_ATTRIBUTES) {
    for (const ref of resources(synth, type)) {
      const docs = [ref.body[attribute], ...blocks(ref.body.inline_policy).map((p) => p.policy)];
      for (const doc of docs) {
        if (doc !== undefined)
          out.push({ ref, kind: doc === ref.body[attribute] ? kind : "identity", statements: statements(doc) });
      }
    }
  }
  return out;
}

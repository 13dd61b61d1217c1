/**
 * IAM policy documents written as plain objects and serialized with JSON.stringify, so
 * the synthesized Terraform JSON shows each policy verbatim (reviewers and tests/policy
 * read them) and the output is deterministic. Strings may carry CDKTF tokens; they resolve
 * to Terraform references inside the JSON string.
 */
import { Fn } from "../cdktf";

/** One IAM statement. */
export interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  Action: string | string[];
  /** Omitted only in trust policies, which apply to the role itself. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/**
 * A policy document as JSON text. When the cdktf CLI synthesizes HCL for reviewers
 * (`SYNTH_HCL_OUTPUT=true`, set by `cdktf synth --hcl`), it becomes a Terraform
 * `jsonencode({...})` expression instead: cdktf 0.21's HCL printer garbles JSON text
 * inside strings, but prints `jsonencode` objects readably. Same policy either way.
 */
export function policyDocument(statements: Statement[]): string {
  const document = { Version: "2012-10-17", Statement: statements };
  return process.env.SYNTH_HCL_OUTPUT === "true" ? Fn.jsonencode(document) : JSON.stringify(document);
}

/** The trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return policyDocument([
    { Sid: "ServiceAssumesRole", Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" },
  ]);
}

/** Denies any request to a bucket that does not use TLS (aws:SecureTransport = false). */
export function denyInsecureTransport(bucketArn: string): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

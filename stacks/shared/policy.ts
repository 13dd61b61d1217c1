/**
 * IAM policy documents written as plain objects and serialized with JSON.stringify, so
 * the synthesized Terraform shows each policy verbatim (reviewers and tests/policy read
 * them) and the output is deterministic. Strings may carry CDKTF tokens; they resolve
 * to Terraform references inside the JSON string.
 */

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

/** A policy document as JSON text. */
export function policyDocument(statements: Statement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
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

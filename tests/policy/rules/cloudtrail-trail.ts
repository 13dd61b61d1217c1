import {
  block,
  blocks,
  type Finding,
  finding,
  list,
  type PolicyRule,
  type ResourceRef,
  refersTo,
  resources,
  statements,
} from "../terraform";

const CLOUDTRAIL = "cloudtrail.amazonaws.com";
const PUBLIC_ACCESS_FLAGS = [
  "block_public_acls",
  "block_public_policy",
  "ignore_public_acls",
  "restrict_public_buckets",
];

/** Whether the trail records every management event (no selectors means all of them). */
function recordsAllManagementEvents(trail: ResourceRef): boolean {
  const selectors = blocks(trail.body.event_selector);
  if (blocks(trail.body.advanced_event_selector).length > 0) return false;
  if (selectors.length === 0) return true;
  return selectors.some(
    (s) =>
      s.include_management_events !== false &&
      (s.read_write_type ?? "All") === "All" &&
      list(s.exclude_management_event_sources as string[] | undefined).length === 0,
  );
}

/** Problems of a trail's bucket: it must be the trail's own, encrypted, and closed to the public. */
function bucketProblems(synth: Parameters<PolicyRule["check"]>[0], trail: ResourceRef, bucket: ResourceRef): string[] {
  const same = (type: string) =>
    resources(synth, type).filter(
      (r) => r.stack === bucket.stack && refersTo(r.body.bucket, "aws_s3_bucket", bucket.name),
    );
  const problems: string[] = [];
  const pab = same("aws_s3_bucket_public_access_block")[0];
  if (pab === undefined || PUBLIC_ACCESS_FLAGS.some((f) => pab.body[f] !== true)) {
    problems.push("its bucket does not block all public access");
  }
  const sse = same("aws_s3_bucket_server_side_encryption_configuration")[0];
  const byDefault = blocks(sse?.body.rule).map((r) => block(r.apply_server_side_encryption_by_default));
  if (!byDefault.some((d) => d?.sse_algorithm === "aws:kms")) problems.push("its bucket is not encrypted with KMS");
  const policy = same("aws_s3_bucket_policy").flatMap((p) => statements(p.body.policy));
  const allows = policy.filter((s) => s.Effect === "Allow");
  const byCloudTrail = (action: string) =>
    allows.some((s) => servicesOf(s.Principal).includes(CLOUDTRAIL) && list(s.Action).includes(action));
  if (!byCloudTrail("s3:PutObject") || !byCloudTrail("s3:GetBucketAcl")) {
    problems.push("its bucket policy does not let CloudTrail check the ACL and write");
  }
  if (allows.some((s) => !servicesOf(s.Principal).includes(CLOUDTRAIL))) {
    problems.push("its bucket is not its own (the policy lets others than CloudTrail in)");
  }
  const otherTrails = resources(synth, "aws_cloudtrail").filter(
    (t) =>
      t.address !== trail.address &&
      t.stack === bucket.stack &&
      refersTo(t.body.s3_bucket_name, "aws_s3_bucket", bucket.name),
  );
  if (otherTrails.length > 0) problems.push("its bucket is shared with another trail");
  return problems;
}

function servicesOf(principal: unknown): string[] {
  return list((principal as { Service?: string | string[] } | undefined)?.Service);
}

/**
 * A CloudTrail trail records every management event of every region (so KMS and IAM
 * calls are in it wherever they are made), with log file validation, encrypted with a
 * KMS key, into its own bucket (its policy lets only CloudTrail check the ACL and write;
 * KMS-encrypted; all public access blocked). Without such a trail, the EventBridge
 * alarms on key policy changes receive nothing.
 */
export const cloudtrailTrail: PolicyRule = {
  id: "cloudtrail-trail",
  description: "A multi-region management-event trail with log file validation, encrypted, in its own closed bucket",
  check(synth) {
    const trails = resources(synth, "aws_cloudtrail");
    const out: Finding[] = [];
    for (const trail of trails) {
      const problems: string[] = [];
      if (trail.body.enable_log_file_validation !== true) problems.push("log file validation is off");
      if (trail.body.enable_logging === false) problems.push("logging is off");
      if (trail.body.is_multi_region_trail !== true) problems.push("it records one region only");
      if (trail.body.include_global_service_events !== true) problems.push("it leaves out global service events (IAM)");
      if (!recordsAllManagementEvents(trail)) problems.push("it does not record every management event");
      if (typeof trail.body.kms_key_id !== "string" || trail.body.kms_key_id === "")
        problems.push("its logs are not KMS-encrypted");
      const bucket = resources(synth, "aws_s3_bucket").find(
        (b) => b.stack === trail.stack && refersTo(trail.body.s3_bucket_name, "aws_s3_bucket", b.name),
      );
      if (bucket === undefined) problems.push("its bucket is not declared beside it");
      else problems.push(...bucketProblems(synth, trail, bucket));
      for (const p of problems) out.push(finding(this.id, trail, p));
    }
    if (trails.length === 0) {
      out.push({ rule: this.id, stack: "*", address: "aws_cloudtrail", message: "no CloudTrail trail in the app" });
    }
    return out;
  },
};

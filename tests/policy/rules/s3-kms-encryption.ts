import { block, blocks, type Finding, finding, type PolicyRule, refersTo, resources } from "../terraform";

/** Every S3 bucket encrypts by default with SSE-KMS and a named key (not SSE-S3, not the AWS managed key). */
export const s3KmsEncryption: PolicyRule = {
  id: "s3-kms-encryption",
  description: "S3 buckets encrypt with a customer managed KMS key",
  check(synth) {
    const configs = resources(synth, "aws_s3_bucket_server_side_encryption_configuration");
    const out: Finding[] = [];
    for (const bucket of resources(synth, "aws_s3_bucket")) {
      const c = configs.find((x) => x.stack === bucket.stack && refersTo(x.body.bucket, "aws_s3_bucket", bucket.name));
      const byDefault = blocks(c?.body.rule).map((r) => block(r.apply_server_side_encryption_by_default));
      const ok = byDefault.some(
        (d) => d?.sse_algorithm === "aws:kms" && typeof d.kms_master_key_id === "string" && d.kms_master_key_id !== "",
      );
      if (!ok) out.push(finding(this.id, bucket, "no default SSE-KMS encryption with a customer managed key"));
    }
    return out;
  },
};

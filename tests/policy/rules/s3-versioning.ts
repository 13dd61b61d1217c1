import { block, type Finding, finding, type PolicyRule, refersTo, resources } from "../terraform";

/** Every S3 bucket has versioning enabled (sealed state and manifests are never overwritten in place). */
export const s3Versioning: PolicyRule = {
  id: "s3-versioning",
  description: "S3 buckets have versioning enabled",
  check(synth) {
    const configs = resources(synth, "aws_s3_bucket_versioning");
    const out: Finding[] = [];
    for (const bucket of resources(synth, "aws_s3_bucket")) {
      const v = configs.find((c) => c.stack === bucket.stack && refersTo(c.body.bucket, "aws_s3_bucket", bucket.name));
      const status = block(v?.body.versioning_configuration)?.status;
      const inline = block(bucket.body.versioning)?.enabled === true;
      if (status !== "Enabled" && !inline) out.push(finding(this.id, bucket, "versioning is not enabled"));
    }
    return out;
  },
};

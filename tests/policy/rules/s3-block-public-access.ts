import { type Finding, finding, type PolicyRule, refersTo, resources } from "../terraform";

const FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

/** Every S3 bucket has a public access block with all four flags on. */
export const s3BlockPublicAccess: PolicyRule = {
  id: "s3-block-public-access",
  description: "S3 buckets block all public access",
  check(synth) {
    const blocks = resources(synth, "aws_s3_bucket_public_access_block");
    const out: Finding[] = [];
    for (const bucket of resources(synth, "aws_s3_bucket")) {
      const pab = blocks.find((b) => b.stack === bucket.stack && refersTo(b.body.bucket, "aws_s3_bucket", bucket.name));
      if (pab === undefined) {
        out.push(finding(this.id, bucket, "no aws_s3_bucket_public_access_block"));
        continue;
      }
      const off = FLAGS.filter((f) => pab.body[f] !== true);
      if (off.length > 0) out.push(finding(this.id, bucket, `public access block leaves ${off.join(", ")} off`));
    }
    return out;
  },
};

import { type Finding, finding, list, type PolicyRule, refersTo, resources, statements } from "../terraform";

/** Every S3 bucket's policy denies requests without TLS, for the bucket and its objects. */
export const s3TlsOnly: PolicyRule = {
  id: "s3-tls-only",
  description: "S3 bucket policies deny non-TLS requests",
  check(synth) {
    const policies = resources(synth, "aws_s3_bucket_policy");
    const out: Finding[] = [];
    for (const bucket of resources(synth, "aws_s3_bucket")) {
      const policy = policies.find(
        (p) => p.stack === bucket.stack && refersTo(p.body.bucket, "aws_s3_bucket", bucket.name),
      );
      const arn = `\${aws_s3_bucket.${bucket.name}.arn}`;
      const denies = statements(policy?.body.policy).some((s) => {
        const resourcesCovered = list(s.Resource);
        return (
          s.Effect === "Deny" &&
          s.Principal === "*" &&
          list(s.Action).some((a) => a === "s3:*") &&
          String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false" &&
          resourcesCovered.includes(arn) &&
          resourcesCovered.includes(`${arn}/*`)
        );
      });
      if (!denies) out.push(finding(this.id, bucket, "bucket policy does not deny aws:SecureTransport=false"));
    }
    return out;
  },
};

/** Fresh-stack S3 examples shared by the S3 rule tests: the compliant bucket and its variations. */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SecureBucket } from "../../../stacks/shared/secure-bucket";
import { synthFresh } from "../fresh-stack";

/** The stacks' own SecureBucket: compliant with every S3 rule. */
export const secureBucket = () =>
  synthFresh((s) => {
    new SecureBucket(s, "ok", { bucketName: "ok", kmsKeyArn: "arn:aws:kms:eu-central-1:1:key/k", protect: true });
  });

/** A bucket built by hand, leaving out one control. */
export function bucketWithout(missing: "public-access" | "versioning" | "encryption" | "tls-policy" | "one-flag") {
  return synthFresh((s) => {
    const b = new S3Bucket(s, "b", { bucket: "b" });
    if (missing !== "public-access") {
      new S3BucketPublicAccessBlock(s, "pab", {
        bucket: b.id,
        blockPublicAcls: true,
        blockPublicPolicy: missing !== "one-flag",
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
    if (missing !== "versioning") {
      new S3BucketVersioningA(s, "v", { bucket: b.id, versioningConfiguration: { status: "Enabled" } });
    }
    new S3BucketServerSideEncryptionConfigurationA(s, "sse", {
      bucket: b.id,
      rule: [
        {
          applyServerSideEncryptionByDefault:
            missing === "encryption" ? { sseAlgorithm: "AES256" } : { sseAlgorithm: "aws:kms", kmsMasterKeyId: "k" },
        },
      ],
    });
    const deny = {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [b.arn, `${b.arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
    const allowOnly = {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::1:root" },
      Action: "s3:GetObject",
      Resource: `${b.arn}/*`,
    };
    new S3BucketPolicy(s, "p", {
      bucket: b.id,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [missing === "tls-policy" ? allowOnly : deny] }),
    });
  });
}

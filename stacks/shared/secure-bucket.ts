import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { Lazy } from "../cdktf";
import { denyInsecureTransport, policyDocument, type Statement } from "./policy";

export interface SecureBucketProps {
  bucketName: string;
  /** CMK for SSE-KMS (with an S3 bucket key, which cuts KMS calls per object). */
  kmsKeyArn: string;
  /** Refuse `terraform destroy` while the bucket holds objects. */
  protect: boolean;
}

/**
 * An S3 bucket with every control the policy tests demand: Block Public Access (all four),
 * owner-enforced object ownership (no ACLs), versioning, SSE-KMS with a CMK, and a bucket
 * policy that denies any request without TLS.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly policy: S3BucketPolicy;
  private readonly statements: Statement[] = [];

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucketName, forceDestroy: !props.protect });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
          bucketKeyEnabled: true,
        },
      ],
    });
    this.statements.push(denyInsecureTransport(this.bucket.arn));
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      // Lazy: statements that refer to resources created after the bucket (a CDN) are added later.
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
      // Block Public Access first, so no window exists where a policy could make the bucket public.
      dependsOn: [publicAccess],
    });
  }

  /** Adds statements to the bucket policy (after the TLS-only deny). */
  addStatements(...statements: Statement[]): void {
    this.statements.push(...statements);
  }

  /** The bucket ARN, and `arn/<pattern>` for objects. */
  get arn(): string {
    return this.bucket.arn;
  }
}

import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import type { Construct } from "constructs";
import type { EnvConfig } from "./config";
import { BaseStack } from "./shared/base-stack";
import { keyAdministration, useViaServices } from "./shared/key-policies";
import { policyDocument } from "./shared/policy";
import { SecureBucket } from "./shared/secure-bucket";

/** Services that encrypt with the data key on behalf of principals of the account. */
const DATA_KEY_SERVICES = ["dynamodb", "s3", "secretsmanager", "ec2", "sns"] as const;

/**
 * Metadata and sealed state: the single DynamoDB table (invitations, users, devices,
 * vault records, hosts, audit), the S3 bucket of sealed vault state objects, and the
 * customer managed key that encrypts both at rest. Vault plaintext is never here: the
 * state objects are sealed inside the enclave before they leave it.
 */
export class DataStack extends BaseStack {
  readonly dataKey: KmsKey;
  readonly table: DynamodbTable;
  readonly sealedState: SecureBucket;

  constructor(scope: Construct, config: EnvConfig) {
    super(scope, "data", config);
    const p = this.prefix;
    this.dataKey = new KmsKey(this, "data-key", {
      description: `${p} data at rest (DynamoDB, sealed-state bucket, secrets, EBS, alarm topic)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        keyAdministration(this.accountRoot),
        ...useViaServices(config.accountId, config.region, DATA_KEY_SERVICES),
        {
          Sid: "AlarmsPublishToEncryptedTopic",
          Effect: "Allow",
          // CloudWatch alarms, and the EventBridge rules that alarm on key policy changes
          Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": config.accountId } },
        },
      ]),
      tags: { Name: `${p}-data` },
    });
    new KmsAlias(this, "data-key-alias", { name: `alias/${p}-data`, targetKeyId: this.dataKey.keyId });

    this.table = new DynamodbTable(this, "table", {
      name: p,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      rangeKey: "sk",
      attribute: [
        { name: "pk", type: "S" },
        { name: "sk", type: "S" },
        { name: "gsi1pk", type: "S" },
        { name: "gsi1sk", type: "S" },
      ],
      globalSecondaryIndex: [{ name: "gsi1", hashKey: "gsi1pk", rangeKey: "gsi1sk", projectionType: "ALL" }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: this.dataKey.arn },
      ttl: { attributeName: "ttl", enabled: true },
      // Keys only: the revocation publisher reads the revocation item itself (decision 0063).
      streamEnabled: true,
      streamViewType: "KEYS_ONLY",
      deletionProtectionEnabled: config.deletionProtection,
      tags: { Name: p },
    });

    this.sealedState = new SecureBucket(this, "sealed-state", {
      bucketName: `${p}-sealed-state-${config.accountId}`,
      kmsKeyArn: this.dataKey.arn,
      protect: config.deletionProtection,
    });
    new S3BucketLifecycleConfiguration(this, "sealed-state-lifecycle", {
      bucket: this.sealedState.bucket.id,
      rule: [
        {
          id: "expire-superseded-state",
          status: "Enabled",
          filter: [{ prefix: "" }],
          // Superseded sealed states stay 30 days: enough to recover from a bad release.
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
  }
}

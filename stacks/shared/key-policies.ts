import type { Statement } from "./policy";

/**
 * Key administration for the account, WITHOUT any cryptographic use: listed one by one
 * (no wildcards), so an IAM policy in the account can never grant Encrypt/Decrypt on a
 * key whose policy contains only this statement plus explicit grants.
 * `Resource: "*"` in a key policy means "this key" (AWS requires it).
 */
export function keyAdministration(accountRoot: string): Statement {
  return {
    Sid: "AccountAdministersKeyButCannotUseIt",
    Effect: "Allow",
    Principal: { AWS: accountRoot },
    Action: [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ],
    Resource: "*",
  };
}

/**
 * Lets principals of this account use the key only through the named AWS services
 * (`kms:ViaService`), the pattern AWS documents for DynamoDB, S3, Secrets Manager, EBS
 * and SNS encryption with a customer managed key; grants (which those services create
 * to work on the caller's behalf) only for AWS resources.
 */
export function useViaServices(accountId: string, region: string, services: readonly string[]): Statement[] {
  const through = {
    StringEquals: { "kms:CallerAccount": accountId },
    "ForAnyValue:StringEquals": { "kms:ViaService": services.map((s) => `${s}.${region}.amazonaws.com`) },
  };
  return [
    {
      Sid: "AccountUsesKeyOnlyThroughServices",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ],
      Resource: "*",
      Condition: through,
    },
    {
      Sid: "ServicesGrantOnlyForAwsResources",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { ...through, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ];
}

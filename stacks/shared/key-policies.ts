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
 * What the account (its root, and so any IAM principal the account allows) may do to a
 * LOCKED key — the sealing key and the manifest signing key — each action with why. No
 * action here changes who may use the key: not PutKeyPolicy, not CreateGrant, no
 * cryptographic use. docs/infrastructure.md justifies the list line by line.
 */
export const LOCKED_KEY_ACCOUNT_ACTIONS = {
  "kms:DescribeKey": "read the key's metadata (state, spec, deletion date): plan role, console, audits",
  "kms:GetKeyPolicy": "read the policy, so a reviewer compares the deployed policy with the synthesized one",
  "kms:GetKeyRotationStatus": "read whether rotation is on (plan role refresh)",
  "kms:ListGrants": "see that the key has no grants",
  "kms:ListKeyPolicies": "list the policy names (always `default`)",
  "kms:ListResourceTags": "read the tags (plan role refresh; tests/policy find the sealing key by tag)",
  "kms:DisableKey": "emergency stop: stops every use, the enclaves' too; never widens one (alarmed)",
  "kms:EnableKey": "undo an emergency stop: restores only what the policy already allows",
  "kms:CancelKeyDeletion": "undo a scheduled deletion within its 30-day waiting period (alarmed)",
} as const;

/**
 * The account's access to a locked key: {@link LOCKED_KEY_ACCOUNT_ACTIONS}, listed, so
 * no IAM policy can grant PutKeyPolicy, CreateGrant or any cryptographic use.
 */
export function lockedKeyAccountAccess(accountRoot: string): Statement {
  return {
    Sid: "AccountReadsAndStopsKeyButCannotChangeIt",
    Effect: "Allow",
    Principal: { AWS: accountRoot },
    Action: Object.keys(LOCKED_KEY_ACCOUNT_ACTIONS).sort(),
    Resource: "*",
  };
}

/**
 * The release role governs a locked key: it alone may replace the key policy (the
 * release and keys stacks are applied with it, after review of the pull request that
 * commits the signed manifest the policy is generated from — decision 0043, 0057), and
 * it manages the key's description, tags, aliases, rotation and end of life. Terraform
 * calls PutKeyPolicy with the policy in the synthesized stack; nobody may skip the
 * lockout safety check (which keeps the caller able to change the policy again), so no
 * policy can lock the release role out and freeze an unreviewed state.
 */
export function releaseRoleGovernsKey(releaseRoleArn: string): Statement[] {
  return [
    {
      Sid: "ReleaseRoleAloneReplacesPolicy",
      Effect: "Allow",
      Principal: { AWS: releaseRoleArn },
      Action: "kms:PutKeyPolicy",
      Resource: "*",
    },
    {
      Sid: "ReleaseRoleManagesKey",
      Effect: "Allow",
      Principal: { AWS: releaseRoleArn },
      Action: [
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:ScheduleKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:UpdateAlias",
        "kms:UpdateKeyDescription",
      ],
      Resource: "*",
    },
    {
      Sid: "NobodyBypassesLockoutSafetyCheck",
      Effect: "Deny",
      Principal: "*",
      Action: "kms:PutKeyPolicy",
      Resource: "*",
      Condition: { Bool: { "kms:BypassPolicyLockoutSafetyCheck": "true" } },
    },
  ];
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

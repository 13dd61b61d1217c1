/** Every policy rule over synthesized Terraform, one per file beside this one. */
import type { PolicyRule } from "../terraform";
import { cloudtrailTrail } from "./cloudtrail-trail";
import { dynamodbKms } from "./dynamodb-kms";
import { dynamodbPitr } from "./dynamodb-pitr";
import { heartbeatRowScope } from "./heartbeat-row-scope";
import { iamNoUnscopedResources } from "./iam-no-unscoped-resources";
import { iamNoWildcardActions } from "./iam-no-wildcard-actions";
import { imdsv2 } from "./imdsv2";
import { keyChangeAlarms } from "./key-change-alarms";
import { keyPolicyLockdown } from "./key-policy-lockdown";
import { lambdaRuntime } from "./lambda-runtime";
import { lambdaSourceMaps } from "./lambda-source-maps";
import { lambdaTracing } from "./lambda-tracing";
import { logRetention } from "./log-retention";
import { natsKeyHolders } from "./nats-key-holders";
import { natsRouteTls } from "./nats-route-tls";
import { natsTlsUrls } from "./nats-tls-urls";
import { noSsh } from "./no-ssh";
import { s3BlockPublicAccess } from "./s3-block-public-access";
import { s3KmsEncryption } from "./s3-kms-encryption";
import { s3TlsOnly } from "./s3-tls-only";
import { s3Versioning } from "./s3-versioning";
import { sealingKeyPcr0 } from "./sealing-key-pcr0";
import { sealingKeyTimeWindow } from "./sealing-key-time-window";
import { sealingKeyUnreleased } from "./sealing-key-unreleased";
import { sealingKeyVaultContext } from "./sealing-key-vault-context";
import { securityGroupIngress } from "./security-group-ingress";

export const RULES: readonly PolicyRule[] = [
  s3BlockPublicAccess,
  s3Versioning,
  s3KmsEncryption,
  s3TlsOnly,
  dynamodbPitr,
  dynamodbKms,
  iamNoWildcardActions,
  iamNoUnscopedResources,
  securityGroupIngress,
  imdsv2,
  noSsh,
  lambdaRuntime,
  lambdaSourceMaps,
  lambdaTracing,
  logRetention,
  sealingKeyPcr0,
  sealingKeyUnreleased,
  sealingKeyVaultContext,
  sealingKeyTimeWindow,
  keyPolicyLockdown,
  cloudtrailTrail,
  keyChangeAlarms,
  heartbeatRowScope,
  natsKeyHolders,
  natsTlsUrls,
  natsRouteTls,
];

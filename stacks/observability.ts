import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { Construct } from "constructs";
import type { EnvConfig } from "./config";
import { BaseStack } from "./shared/base-stack";
import { keyAdministration } from "./shared/key-policies";
import { policyDocument } from "./shared/policy";
import { SecureBucket } from "./shared/secure-bucket";
import { VAULT_HOST_METRICS_NAMESPACE } from "./vault-fleet";

/** The enclave health metric the vsock proxy publishes each minute (1 = enclave attested and serving). */
export const ENCLAVE_HEALTH_METRIC = "EnclaveHealthy";

/**
 * The edge's EMF metrics the alarms watch, as functions/middleware/edge-metrics.ts
 * writes them (stacks import nothing of functions/; tests/unit/stacks/observability
 * checks that the two agree). Each function's `service` dimension is
 * `vettid-edge-<route>`.
 */
export const EDGE_METRICS_NAMESPACE = "VettID/Edge";
export const EDGE_ALARMED_METRICS = {
  /** Peer device revocations (`devices-revoke`): more than people revoke is a stolen device at work. */
  revocations: { metric: "DeviceRevocations", service: "vettid-edge-devices-revoke", fiveMinuteThreshold: 20 },
  /** Wrong invitation codes at enrollment: guessing, beyond the per-source rate limit's spread. */
  invitationGuessing: {
    metric: "Refusals",
    service: "vettid-edge-enrollments-create",
    code: "INVITATION_INVALID",
    fiveMinuteThreshold: 50,
  },
} as const;

/**
 * KMS calls that could change who may use a locked key, or destroy it: each one on the
 * sealing key or the manifest signing key alarms (decision 0057).
 */
export const WATCHED_KEY_EVENTS = ["PutKeyPolicy", "CreateGrant", "ScheduleKeyDeletion", "DisableKey"] as const;

/** Calls that would blind the audit trail or the alarms themselves; any of them alarms. */
export const WATCHED_AUDIT_EVENTS = {
  "aws.cloudtrail": ["DeleteTrail", "StopLogging", "UpdateTrail", "PutEventSelectors"],
  "aws.events": ["DeleteRule", "DisableRule", "RemoveTargets"],
} as const;

/** The EventBridge pattern of AWS API calls that CloudTrail delivers for `source`. */
function apiCalls(source: string, eventNames: readonly string[], detail: Record<string, unknown> = {}): string {
  return JSON.stringify({
    source: [source],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: { eventName: [...eventNames], ...detail },
  });
}

/**
 * Oldest stream record a stream-triggered function may still have to read (ms): a
 * revocation normally reaches NATS within a second, so a minute of lag means revoked
 * devices stay connected.
 */
export const STREAM_LAG_ALARM_MS = 60_000;

export interface ObservabilityStackProps {
  dataKeyArn: string;
  /** The locked keys whose policy changes alarm: the vault sealing key and the manifest signing key. */
  lockedKeyArns: readonly string[];
  functionNames: readonly string[];
  /** Functions a stream triggers: their `IteratorAge` alarms ({@link STREAM_LAG_ALARM_MS}). */
  streamFunctionNames?: readonly string[];
  apiId: string;
  autoScalingGroupName: string;
  nlbArnSuffix: string;
  targetGroupArnSuffix: string;
  natsNodeCount: number;
}

/**
 * Alarms (to an encrypted SNS topic): Lambda errors and throttles per function, API 5xx,
 * enclave health (fewer healthy enclaves than in-service hosts, or no data), NATS health
 * (fewer healthy NLB targets than nodes). Log groups live with the stack that writes them,
 * each with the environment's retention.
 *
 * The audit trail: a multi-region CloudTrail trail of every management event, with log
 * file validation, encrypted with its own key into its own bucket; EventBridge rules that
 * alarm on the KMS calls of {@link WATCHED_KEY_EVENTS} against the locked keys, and on any
 * call that would stop the trail or remove the rules (decision 0057).
 */
export class ObservabilityStack extends BaseStack {
  readonly topic: SnsTopic;

  constructor(scope: Construct, config: EnvConfig, props: ObservabilityStackProps) {
    super(scope, "observability", config);
    const p = this.prefix;
    this.topic = new SnsTopic(this, "alarms", { name: `${p}-alarms`, kmsMasterKeyId: props.dataKeyArn });
    if (config.alarmEmail !== "") {
      new SnsTopicSubscription(this, "alarm-email", {
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: config.alarmEmail,
      });
    }
    this.auditTrail(config, props.lockedKeyArns);
    const notify = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };
    /** Fires on any occurrence within five minutes. */
    const anyInFiveMinutes = {
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...notify,
    };

    for (const fn of props.functionNames) {
      for (const metric of ["Errors", "Throttles"] as const) {
        new CloudwatchMetricAlarm(this, `${fn}-${metric.toLowerCase()}`, {
          alarmName: `${fn}-${metric.toLowerCase()}`,
          namespace: "AWS/Lambda",
          metricName: metric,
          dimensions: { FunctionName: fn },
          ...anyInFiveMinutes,
        });
      }
    }
    // A revocation reaches NATS only when the publisher has read it from the stream: a
    // lagging stream leaves revoked devices connected, so lag alarms like an error.
    for (const fn of props.streamFunctionNames ?? []) {
      new CloudwatchMetricAlarm(this, `${fn}-stream-lag`, {
        alarmName: `${fn}-stream-lag`,
        namespace: "AWS/Lambda",
        metricName: "IteratorAge",
        dimensions: { FunctionName: fn },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        threshold: STREAM_LAG_ALARM_MS,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        ...notify,
      });
    }
    new CloudwatchMetricAlarm(this, "api-5xx", {
      alarmName: `${p}-api-5xx`,
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: props.apiId, Stage: "$default" },
      ...anyInFiveMinutes,
    });
    const { revocations, invitationGuessing } = EDGE_ALARMED_METRICS;
    new CloudwatchMetricAlarm(this, "device-revocations", {
      alarmName: `${p}-device-revocations`,
      alarmDescription: "More peer device revocations than people make (a stolen device revoking others?)",
      namespace: EDGE_METRICS_NAMESPACE,
      metricName: revocations.metric,
      dimensions: { service: revocations.service },
      ...anyInFiveMinutes,
      threshold: revocations.fiveMinuteThreshold,
    });
    new CloudwatchMetricAlarm(this, "invitation-guessing", {
      alarmName: `${p}-invitation-guessing`,
      alarmDescription: "Many wrong invitation codes at enrollment (guessing)",
      namespace: EDGE_METRICS_NAMESPACE,
      metricName: invitationGuessing.metric,
      dimensions: { service: invitationGuessing.service, code: invitationGuessing.code },
      ...anyInFiveMinutes,
      threshold: invitationGuessing.fiveMinuteThreshold,
    });
    new CloudwatchMetricAlarm(this, "enclave-health", {
      alarmName: `${p}-enclave-health`,
      alarmDescription: "A vault host runs no attested enclave (or stopped reporting)",
      comparisonOperator: "LessThanThreshold",
      evaluationPeriods: 3,
      threshold: 0,
      // healthy enclaves − in-service hosts < 0 ⇔ some host has no healthy enclave.
      metricQuery: [
        {
          id: "healthy",
          metric: {
            namespace: VAULT_HOST_METRICS_NAMESPACE,
            metricName: ENCLAVE_HEALTH_METRIC,
            dimensions: { AutoScalingGroupName: props.autoScalingGroupName },
            stat: "Sum",
            period: 60,
          },
        },
        {
          id: "hosts",
          metric: {
            namespace: "AWS/AutoScaling",
            metricName: "GroupInServiceInstances",
            dimensions: { AutoScalingGroupName: props.autoScalingGroupName },
            stat: "Minimum",
            period: 60,
          },
        },
        { id: "gap", expression: "FILL(healthy, 0) - hosts", label: "healthy enclaves minus hosts", returnData: true },
      ],
      treatMissingData: "breaching",
      ...notify,
    });
    new CloudwatchMetricAlarm(this, "nats-health", {
      alarmName: `${p}-nats-health`,
      alarmDescription: "A NATS node fails its /healthz check behind the NLB",
      namespace: "AWS/NetworkELB",
      metricName: "HealthyHostCount",
      dimensions: { LoadBalancer: props.nlbArnSuffix, TargetGroup: props.targetGroupArnSuffix },
      statistic: "Minimum",
      period: 60,
      evaluationPeriods: 3,
      threshold: props.natsNodeCount,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
      ...notify,
    });
  }
  /** The trail, its bucket and key, and the rules that alarm on key policy and audit changes. */
  private auditTrail(config: EnvConfig, lockedKeyArns: readonly string[]): void {
    const p = this.prefix;
    const trailName = `${p}-management`;
    const trailArn = this.arn("cloudtrail", `trail/${trailName}`);
    const trailKey = new KmsKey(this, "trail-key", {
      description: `${p} CloudTrail log files`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        keyAdministration(this.accountRoot),
        {
          Sid: "CloudTrailEncryptsLogs",
          Effect: "Allow",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: "kms:GenerateDataKey*",
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceArn": trailArn },
            StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": this.arn("cloudtrail", "trail/*", "*") },
          },
        },
        {
          Sid: "CloudTrailDescribesKey",
          Effect: "Allow",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: "kms:DescribeKey",
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceArn": trailArn } },
        },
        {
          Sid: "AccountReadsLogFiles",
          Effect: "Allow",
          Principal: { AWS: this.accountRoot },
          Action: "kms:Decrypt",
          Resource: "*",
          // only CloudTrail's own ciphertexts (log and digest files)
          Condition: { Null: { "kms:EncryptionContext:aws:cloudtrail:arn": "false" } },
        },
      ]),
      tags: { Name: `${p}-trail` },
    });
    new KmsAlias(this, "trail-key-alias", { name: `alias/${p}-trail`, targetKeyId: trailKey.keyId });

    const bucket = new SecureBucket(this, "trail-logs", {
      bucketName: `${p}-trail-${config.accountId}`,
      kmsKeyArn: trailKey.arn,
      protect: config.deletionProtection,
    });
    const fromTheTrail = { StringEquals: { "aws:SourceArn": trailArn } };
    bucket.addStatements(
      {
        Sid: "CloudTrailChecksBucketAcl",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:GetBucketAcl",
        Resource: bucket.arn,
        Condition: fromTheTrail,
      },
      {
        Sid: "CloudTrailWritesLogs",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${bucket.arn}/AWSLogs/${config.accountId}/*`,
        Condition: { StringEquals: { "aws:SourceArn": trailArn, "s3:x-amz-acl": "bucket-owner-full-control" } },
      },
      {
        Sid: "LogHistoryIsAppendOnly",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:DeleteObjectVersion",
        Resource: `${bucket.arn}/*`,
      },
    );
    new Cloudtrail(this, "trail", {
      name: trailName,
      s3BucketName: bucket.bucket.bucket,
      kmsKeyId: trailKey.arn,
      enableLogging: true,
      enableLogFileValidation: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      eventSelector: [{ readWriteType: "All", includeManagementEvents: true }],
      // CloudTrail checks the bucket policy when the trail is created.
      dependsOn: [bucket.policy],
    });

    const rules = [
      {
        id: "locked-key-changes",
        description: "PutKeyPolicy, CreateGrant, ScheduleKeyDeletion or DisableKey on the sealing or signing key",
        eventPattern: apiCalls("aws.kms", WATCHED_KEY_EVENTS, {
          eventSource: ["kms.amazonaws.com"],
          resources: { ARN: [...lockedKeyArns] },
        }),
      },
      ...Object.entries(WATCHED_AUDIT_EVENTS).map(([source, names]) => ({
        id: `${source.slice("aws.".length)}-tampering`,
        description: `${names.join(", ")}: a call that would blind the audit trail or its alarms`,
        eventPattern: apiCalls(source, names),
      })),
    ];
    const ruleArns: string[] = [];
    for (const r of rules) {
      const rule = new CloudwatchEventRule(this, r.id, {
        name: `${p}-${r.id}`,
        description: r.description,
        eventPattern: r.eventPattern,
      });
      new CloudwatchEventTarget(this, `${r.id}-alarm`, {
        rule: rule.name,
        targetId: "alarm-topic",
        arn: this.topic.arn,
      });
      ruleArns.push(rule.arn);
    }
    new SnsTopicPolicy(this, "alarms-policy", {
      arn: this.topic.arn,
      policy: policyDocument([
        {
          Sid: "CloudWatchAlarmsPublish",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: this.topic.arn,
          Condition: { StringEquals: { "aws:SourceAccount": config.accountId } },
        },
        {
          Sid: "AuditRulesPublish",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sns:Publish",
          Resource: this.topic.arn,
          Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
        },
      ]),
    });
  }
}

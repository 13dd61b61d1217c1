import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { Construct } from "constructs";
import type { EnvConfig } from "./config";
import { BaseStack } from "./shared/base-stack";
import { VAULT_HOST_METRICS_NAMESPACE } from "./vault-fleet";

/** The enclave health metric the vsock proxy publishes each minute (1 = enclave attested and serving). */
export const ENCLAVE_HEALTH_METRIC = "EnclaveHealthy";

export interface ObservabilityStackProps {
  dataKeyArn: string;
  functionNames: readonly string[];
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
    new CloudwatchMetricAlarm(this, "api-5xx", {
      alarmName: `${p}-api-5xx`,
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: props.apiId, Stage: "$default" },
      ...anyInFiveMinutes,
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
}

import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { Construct } from "constructs";
import { Fn, TerraformOutput } from "./cdktf";
import type { EnvConfig } from "./config";
import type { ManifestRelease, ReleaseKeySetJson } from "./inputs/manifest";
import type { RuntimeNatsKey } from "./inputs/runtime-nats-key";
import { SSM_CORE_POLICY_ARN } from "./messaging";
import { BaseStack } from "./shared/base-stack";
import { assumeRolePolicy, policyDocument } from "./shared/policy";
import { PORTS } from "./shared/ports";
import { allowIngress, Firewall } from "./shared/security-group";
import { eifObjectKey, idleHostUserData, vaultUserData } from "./vault-fleet-user-data";

/** CloudWatch namespace of the host metrics (enclave health) the vsock proxy publishes. */
export const VAULT_HOST_METRICS_NAMESPACE = "VettID/VaultHost";

/**
 * The heartbeat partition of the calling instance: `HOST#` + the IAM policy variable
 * `ec2:SourceInstanceARN` (present in every request signed with instance-profile
 * credentials). `$${` is Terraform's escape for a literal `${`, so the policy JSON that
 * reaches IAM holds `HOST#${ec2:SourceInstanceARN}`.
 */
export const OWN_HEARTBEAT_PARTITION = "HOST#$${ec2:SourceInstanceARN}";

/**
 * The attributes a heartbeat writes (lib/store/host-registry.ts `HEARTBEAT_ATTRIBUTES`;
 * the stacks may not import lib/, a unit test keeps the two equal).
 */
export const HEARTBEAT_ATTRIBUTES = [
  "pk",
  "sk",
  "gsi1pk",
  "gsi1sk",
  "type",
  "heartbeatAt",
  "vaultCount",
  "ttl",
] as const;

/** Alias of the vault sealing key (keys stack); the proxy addresses the key by it. */
export function sealingKeyAlias(prefix: string): string {
  return `alias/${prefix}-vault-sealing`;
}

export interface VaultFleetStackProps {
  vpcId: string;
  privateSubnetIds: readonly string[];
  s3PrefixListId: string;
  /** Prefix list of the DynamoDB gateway endpoint (host heartbeats). */
  dynamodbPrefixListId: string;
  natsSecurityGroupId: string;
  /** The NATS nodes' client URLs inside the VPC (`tls://`). */
  natsNodeUrls: readonly string[];
  /** The CA (PEM) the nodes' certificates chain to; the proxies trust it alone for NATS. */
  natsCaCertificatePem: string;
  dataKeyArn: string;
  sealedStateBucket: string;
  sealedStateBucketArn: string;
  /** The edge's table, whose `HOST#<instance ARN>` partitions are the host registry. */
  tableName: string;
  tableArn: string;
  artifactBucket: string;
  artifactBucketArn: string;
  manifestUrl: string;
  /**
   * What the hosts run; null before the environment's first release (no signed manifest):
   * then the group runs no host and the host role reaches no enclave image.
   */
  enclave: EnclaveRelease | null;
}

/** `host:port` of each node URL (`tls://host:port`): where the enclaves' own NATS connections are tunnelled. */
export function natsTunnelTargets(nodeUrls: readonly string[]): string[] {
  return nodeUrls.map((url) => {
    const match = /^tls:\/\/([0-9a-z.-]+:\d{1,5})$/.exec(url);
    if (!match?.[1]) throw new Error(`not a tls:// node URL: ${url}`);
    return match[1];
  });
}

/** The release the vault hosts run, from the signed manifest. */
export interface EnclaveRelease {
  /** The release whose enclave image the hosts run (newest active in the manifest). */
  release: ManifestRelease;
  /** The manifest's release key set; the hosts' proxies pin it and verify every manifest they fetch with it. */
  releaseKeySet: ReleaseKeySetJson;
  /** The manifest's serial: the hosts' proxies refuse an older manifest. */
  manifestSerial: number;
  /**
   * The runtime's sealed NATS signing key (decision 0076): the hosts hand it to their
   * enclaves and tunnel the enclaves' own NATS connections to the nodes, so the runtimes
   * take the vault leases and every host may serve every vault. Null in dev only.
   */
  runtimeNatsKey: RuntimeNatsKey | null;
}

/**
 * The vault hosts: a launch template with Nitro Enclaves enabled, IMDSv2 required, no SSH
 * key and no inbound port (Session Manager only), an encrypted root volume, and user data
 * that starts the vsock proxy and the enclave through systemd; an auto scaling group
 * across the three private subnets with rolling instance refresh. The host role reaches
 * only the sealed-state objects, the release's image, its heartbeat in the host registry,
 * its log group and its metrics; its
 * KMS rights live in the sealing key's policy (keys stack), conditioned on attestation.
 * Before the first release the group is sized 0 and a host that is started anyway runs
 * nothing: there is no approved enclave image to run.
 */
export class VaultFleetStack extends BaseStack {
  readonly hostRole: IamRole;
  readonly autoScalingGroup: AutoscalingGroup;

  constructor(scope: Construct, config: EnvConfig, props: VaultFleetStackProps) {
    super(scope, "vault-fleet", config);
    const p = this.prefix;
    const enclave = props.enclave;

    const hostSg = new Firewall(this, "host-sg", {
      name: `${p}-vault-host`,
      description: "Vault hosts: no inbound traffic; out to NATS and the AWS endpoints only",
      vpcId: props.vpcId,
    });
    hostSg.allowOut("nats", PORTS.natsClient, { group: props.natsSecurityGroupId }, "NATS client connections");
    hostSg.allowOut("endpoints", PORTS.https, { cidr: config.vpcCidr }, "AWS interface endpoints");
    hostSg.allowOut("s3", PORTS.https, { prefixList: props.s3PrefixListId }, "S3 through the gateway endpoint");
    hostSg.allowOut(
      "dynamodb",
      PORTS.https,
      { prefixList: props.dynamodbPrefixListId },
      "DynamoDB through the gateway endpoint (host heartbeat)",
    );
    allowIngress(
      this,
      "nats-from-hosts",
      props.natsSecurityGroupId,
      PORTS.natsClient,
      { group: hostSg.id },
      "Vault hosts",
    );

    const natsCredentials = new SecretsmanagerSecret(this, "nats-credentials", {
      name: `${p}/vault-host/nats-credentials`,
      description: "NATS credentials of the vsock proxy (service user limited to vault subjects)",
      kmsKeyId: props.dataKeyArn,
    });
    const logGroupName = `/vettid/${config.name}/vault-host`;
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: logGroupName,
      retentionInDays: config.logRetentionDays,
    });

    this.hostRole = new IamRole(this, "host-role", {
      name: `${p}-vault-host`,
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
    });
    new IamRolePolicyAttachment(this, "host-ssm", { role: this.hostRole.name, policyArn: SSM_CORE_POLICY_ARN });
    new IamRolePolicy(this, "host-policy", {
      name: "vault-host",
      role: this.hostRole.id,
      policy: policyDocument([
        {
          Sid: "SealedStateObjects",
          Effect: "Allow",
          Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
          Resource: `${props.sealedStateBucketArn}/vaults/*`,
        },
        ...(enclave === null
          ? []
          : [
              {
                Sid: "EnclaveImageOfTheRelease",
                Effect: "Allow" as const,
                Action: "s3:GetObject",
                Resource: `${props.artifactBucketArn}/${eifObjectKey(enclave.release.id)}`,
              },
            ]),
        {
          Sid: "ProxyNatsCredentials",
          Effect: "Allow",
          Action: "secretsmanager:GetSecretValue",
          Resource: natsCredentials.arn,
        },
        {
          Sid: "HostRegistryOwnHeartbeat",
          Effect: "Allow",
          Action: "dynamodb:UpdateItem",
          Resource: props.tableArn,
          // Only the partition named after this instance's own ARN (IAM fills the variable
          // from the instance-profile credentials), and only the heartbeat's attributes: a
          // host can refresh its own beat, never another host's, nor any user, device or
          // vault record.
          Condition: {
            "ForAllValues:StringEquals": {
              "dynamodb:LeadingKeys": [OWN_HEARTBEAT_PARTITION],
              "dynamodb:Attributes": [...HEARTBEAT_ATTRIBUTES],
            },
          },
        },
        {
          Sid: "OwnLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${logGroup.arn}:*`,
        },
        {
          Sid: "HostMetrics",
          Effect: "Allow",
          Action: "cloudwatch:PutMetricData",
          // PutMetricData has no resource-level permissions (AWS requires "*"); the
          // namespace condition confines it.
          Resource: "*",
          Condition: { StringEquals: { "cloudwatch:namespace": VAULT_HOST_METRICS_NAMESPACE } },
        },
      ]),
    });
    const profile = new IamInstanceProfile(this, "host-profile", { name: `${p}-vault-host`, role: this.hostRole.name });

    const asgName = `${p}-vault-hosts`;
    const userData =
      enclave === null
        ? idleHostUserData(config.name)
        : vaultUserData({
            environment: config.name,
            region: config.region,
            natsUrls: props.natsNodeUrls,
            natsCaCertificatePem: props.natsCaCertificatePem,
            natsCredentialsSecretArn: natsCredentials.arn,
            sealedStateBucket: props.sealedStateBucket,
            tableName: props.tableName,
            instanceArnPrefix: this.arn("ec2", "instance/"),
            manifestUrl: props.manifestUrl,
            releaseKeySet: enclave.releaseKeySet,
            manifestSerial: enclave.manifestSerial,
            servedVaults: config.vaultFleet.servedVaults,
            logGroup: logGroup.name,
            logGroupName,
            metricsNamespace: VAULT_HOST_METRICS_NAMESPACE,
            autoScalingGroupName: asgName,
            release: { id: enclave.release.id, eifSha384: enclave.release.eifSha384 },
            artifactBucket: props.artifactBucket,
            enclave: { memoryMiB: config.vaultFleet.enclaveMemoryMiB, cpuCount: config.vaultFleet.enclaveCpuCount },
            runtimeNats:
              enclave.runtimeNatsKey === null
                ? null
                : {
                    sealedKey: enclave.runtimeNatsKey.ciphertext,
                    tunnelTargets: natsTunnelTargets(props.natsNodeUrls),
                  },
          });
    const template = new LaunchTemplate(this, "host-template", {
      name: `${p}-vault-host`,
      // The AMI build publishes the current host AMI id to this parameter.
      imageId: `resolve:ssm:${config.vaultFleet.amiParameter}`,
      instanceType: config.vaultFleet.instanceType,
      enclaveOptions: { enabled: true },
      metadataOptions: {
        httpTokens: "required",
        httpEndpoint: "enabled",
        // One hop: only the host itself reaches IMDS, never a container or the enclave.
        httpPutResponseHopLimit: 1,
      },
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [hostSg.id],
      monitoring: { enabled: true },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: {
            encrypted: "true",
            kmsKeyId: props.dataKeyArn,
            volumeSize: 30,
            volumeType: "gp3",
            deleteOnTermination: "true",
          },
        },
      ],
      userData: Fn.base64encode(userData),
      updateDefaultVersion: true,
      tagSpecifications: [{ resourceType: "instance", tags: { Name: `${p}-vault-host` } }],
    });
    this.autoScalingGroup = new AutoscalingGroup(this, "hosts", {
      name: asgName,
      // No host before the first release: none could unseal a vault.
      minSize: enclave === null ? 0 : config.vaultFleet.minSize,
      maxSize: enclave === null ? 0 : config.vaultFleet.maxSize,
      desiredCapacity: enclave === null ? 0 : config.vaultFleet.desiredCapacity,
      vpcZoneIdentifier: [...props.privateSubnetIds],
      launchTemplate: { id: template.id, version: Fn.tostring(template.latestVersion) },
      healthCheckType: "EC2",
      healthCheckGracePeriod: 300,
      enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity"],
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 66 } },
      tag: [{ key: "Name", value: `${p}-vault-host`, propagateAtLaunch: true }],
    });
    new TerraformOutput(this, "host-role-arn", { value: this.hostRole.arn });
  }
}

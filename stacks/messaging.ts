import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import type { Construct } from "constructs";
import { Fn, TerraformOutput } from "./cdktf";
import type { EnvConfig } from "./config";
import { natsUserData } from "./messaging-user-data";
import { NATS_CERTIFICATE_TEMPLATE_ARN, NATS_CERTIFICATE_VALIDITY_DAYS, NatsPrivateCa } from "./nats-pki";
import { clientServerName } from "./nats-server-tls";
import { BaseStack } from "./shared/base-stack";
import { hostAddress } from "./shared/cidr";
import { assumeRolePolicy, policyDocument } from "./shared/policy";
import { PORTS } from "./shared/ports";
import { Firewall } from "./shared/security-group";

/** The AWS managed policy Session Manager needs (the only shell access to any host). */
export const SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/**
 * The `vettid:purpose` tag of each NATS secret. tests/policy `nats-key-holders` finds the
 * secrets by it: no internet-facing function may read the operator signing secret or an
 * unscoped account signing key (whose seeds no secret in these stacks holds: they stay
 * with the operators, out of band).
 */
export const NATS_SECRET_PURPOSES = {
  /** Operator JWT, system account id, account JWTs to preload: public claims, no seed. */
  serverConfig: "nats-server-config",
  /** The scoped device signing key: the REST edge's only NATS secret. */
  deviceSigning: "nats-device-signing",
  /** Operator signing key and system user creds: the revocation publisher's alone. */
  operatorSigning: "nats-operator-signing",
  /** An unscoped account signing key (hosts' users); never created by these stacks. */
  accountSigning: "nats-account-signing",
} as const;

/** Each node's fixed address: host .10 of its private subnet (routes are known before boot). */
const NODE_HOST = 10;

export interface MessagingStackProps {
  vpcId: string;
  privateSubnetIds: readonly string[];
  publicSubnetIds: readonly string[];
  dataKeyArn: string;
}

/**
 * The NATS cluster: three nodes (one per AZ, a JetStream quorum that survives an AZ),
 * JetStream on encrypted EBS volumes that outlive instance replacement, operator/JWT mode
 * configured from Secrets Manager, cluster routes between fixed addresses, and a public
 * NLB terminating TLS on the client port. Clients connect with TLS first
 * (nats.js `tls: { handshakeFirst: true }`), as a TLS-terminating load balancer requires.
 * Inside the VPC everything is TLS too (decision 0064): the nodes' client port requires
 * it (the NLB re-encrypts to it, the hosts' proxies verify it against the private CA),
 * and routes run over mutual TLS with route authorization, with certificates the nodes
 * obtain from the environment's private CA.
 */
export class MessagingStack extends BaseStack {
  readonly natsSecurityGroupId: string;
  readonly nodeAddresses: string[];
  readonly natsUrl: string;
  readonly deviceSigningSecret: SecretsmanagerSecret;
  /** Client URLs of the nodes inside the VPC (`tls://<address>:4222`). */
  readonly nodeUrls: string[];
  /** The private CA's certificate (PEM): what clients inside the VPC verify the nodes with. */
  readonly natsCaCertificatePem: string;
  /** The name every node's client certificate carries: what the vault runtimes check (measured `nats.servername`). */
  readonly natsServerName: string;
  readonly operatorSigningSecret: SecretsmanagerSecret;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly instanceIds: string[] = [];

  constructor(scope: Construct, config: EnvConfig, props: MessagingStackProps) {
    super(scope, "messaging", config);
    const p = this.prefix;
    this.natsUrl = `tls://${config.messaging.publicHostname}:${PORTS.natsClient}`;
    this.nodeAddresses = config.availabilityZones.map((_, i) => hostAddress(config.vpcCidr, 3 + i, NODE_HOST));
    this.nodeUrls = this.nodeAddresses.map((a) => `tls://${a}:${PORTS.natsClient}`);
    const ca = new NatsPrivateCa(this, "nats-ca", { prefix: p });
    this.natsCaCertificatePem = ca.certificatePem;
    this.natsServerName = clientServerName(p);

    // Secret values are set out of band (docs/infrastructure.md), never through Terraform
    // state: the operator configuration, the scoped device signing key the edge mints
    // device JWTs with, and the operator signing key the revocation publisher re-issues
    // the account JWT with (decision 0063).
    const operatorSecret = new SecretsmanagerSecret(this, "operator-secret", {
      name: `${p}/nats/operator`,
      description: "NATS operator JWT, system account id, account JWTs to preload",
      kmsKeyId: props.dataKeyArn,
      tags: { "vettid:purpose": NATS_SECRET_PURPOSES.serverConfig },
    });
    this.deviceSigningSecret = new SecretsmanagerSecret(this, "device-signing-secret", {
      name: `${p}/nats/device-signing-key`,
      description: "NATS account public key and the seed of the scoped device signing key (REST edge)",
      kmsKeyId: props.dataKeyArn,
      tags: { "vettid:purpose": NATS_SECRET_PURPOSES.deviceSigning },
    });
    this.operatorSigningSecret = new SecretsmanagerSecret(this, "operator-signing-secret", {
      name: `${p}/nats/operator-signing-key`,
      description: "NATS operator signing key and system user creds (revocation publisher only)",
      kmsKeyId: props.dataKeyArn,
      tags: { "vettid:purpose": NATS_SECRET_PURPOSES.operatorSigning },
    });

    const nlbSg = new Firewall(this, "nlb-sg", {
      name: `${p}-nats-nlb`,
      description: "Public NATS endpoint (TLS)",
      vpcId: props.vpcId,
    });
    const natsSg = new Firewall(this, "nats-sg", {
      name: `${p}-nats`,
      description: "NATS nodes",
      vpcId: props.vpcId,
    });
    this.natsSecurityGroupId = natsSg.id;
    nlbSg.allowIn("public-clients", PORTS.natsClient, { cidr: "0.0.0.0/0" }, "Devices connect to NATS over TLS");
    nlbSg.allowOut("to-nodes", PORTS.natsClient, { group: natsSg.id }, "Forward client connections");
    nlbSg.allowOut("health", PORTS.natsMonitor, { group: natsSg.id }, "Health checks");
    natsSg.allowIn("from-nlb", PORTS.natsClient, { group: nlbSg.id }, "Client connections from the NLB");
    natsSg.allowIn("health-from-nlb", PORTS.natsMonitor, { group: nlbSg.id }, "NLB health checks (/healthz)");
    natsSg.allowIn("routes-in", PORTS.natsCluster, { group: natsSg.id }, "Cluster routes");
    natsSg.allowOut("routes-out", PORTS.natsCluster, { group: natsSg.id }, "Cluster routes");
    natsSg.allowOut("endpoints", PORTS.https, { cidr: config.vpcCidr }, "AWS interface endpoints");

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/vettid/${config.name}/nats`,
      retentionInDays: config.logRetentionDays,
    });
    const role = new IamRole(this, "node-role", {
      name: `${p}-nats-node`,
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
    });
    new IamRolePolicyAttachment(this, "node-ssm", { role: role.name, policyArn: SSM_CORE_POLICY_ARN });
    new IamRolePolicy(this, "node-policy", {
      name: "nats-node",
      role: role.id,
      policy: policyDocument([
        {
          Sid: "ReadOperatorConfig",
          Effect: "Allow",
          Action: "secretsmanager:GetSecretValue",
          Resource: operatorSecret.arn,
        },
        {
          Sid: "OwnLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${logGroup.arn}:*`,
        },
        {
          // The nodes' TLS certificates: only end-entity certificates of the one template,
          // from the environment's NATS CA (the node makes the key; only the CSR leaves it).
          Sid: "IssueNodeCertificates",
          Effect: "Allow",
          Action: "acm-pca:IssueCertificate",
          Resource: ca.arn,
          Condition: { StringEquals: { "acm-pca:TemplateArn": NATS_CERTIFICATE_TEMPLATE_ARN } },
        },
        {
          Sid: "ReadNodeCertificates",
          Effect: "Allow",
          Action: ["acm-pca:GetCertificate", "acm-pca:GetCertificateAuthorityCertificate"],
          Resource: ca.arn,
        },
      ]),
    });
    const profile = new IamInstanceProfile(this, "node-profile", { name: `${p}-nats-node`, role: role.name });
    const ami = new DataAwsSsmParameter(this, "ami", { name: config.messaging.amiParameter });

    this.targetGroup = new LbTargetGroup(this, "clients", {
      name: `${p}-nats`,
      port: PORTS.natsClient,
      // The NLB re-encrypts to the nodes (TLS first; it does not check their certificates).
      protocol: "TLS",
      vpcId: props.vpcId,
      targetType: "instance",
      healthCheck: { protocol: "HTTP", port: String(PORTS.natsMonitor), path: "/healthz", interval: 10 },
    });

    config.availabilityZones.forEach((az, i) => {
      const name = `${p}-nats-${i}`;
      const volume = new EbsVolume(this, `jetstream-${i}`, {
        availabilityZone: az,
        size: config.messaging.jetstreamVolumeGiB,
        type: "gp3",
        encrypted: true,
        kmsKeyId: props.dataKeyArn,
        tags: { Name: `${name}-jetstream` },
      });
      const node = new Instance(this, `node-${i}`, {
        ami: ami.value,
        instanceType: config.messaging.instanceType,
        subnetId: props.privateSubnetIds[i],
        privateIp: this.nodeAddresses[i],
        vpcSecurityGroupIds: [natsSg.id],
        iamInstanceProfile: profile.name,
        monitoring: true,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { encrypted: true, kmsKeyId: props.dataKeyArn, volumeType: "gp3", volumeSize: 16 },
        userData: natsUserData({
          nodeName: name,
          clusterName: p,
          region: config.region,
          volumeIdNoDash: Fn.replace(volume.id, "-", ""),
          operatorSecretArn: operatorSecret.arn,
          nodeAddress: this.nodeAddresses[i] as string,
          routes: this.nodeAddresses.filter((_, j) => j !== i),
          certificates: {
            caArn: ca.arn,
            templateArn: NATS_CERTIFICATE_TEMPLATE_ARN,
            validityDays: NATS_CERTIFICATE_VALIDITY_DAYS,
          },
          // Leave 10% of the volume for the filesystem and compaction.
          jetstreamMaxFileGiB: Math.floor(config.messaging.jetstreamVolumeGiB * 0.9),
          ports: { client: PORTS.natsClient, cluster: PORTS.natsCluster, monitor: PORTS.natsMonitor },
        }),
        userDataReplaceOnChange: true,
        tags: { Name: name },
        // The CA issues only once its own certificate is installed.
        dependsOn: [ca.installed],
      });
      this.instanceIds.push(node.id);
      new VolumeAttachment(this, `jetstream-${i}-attach`, {
        deviceName: "/dev/sdf",
        volumeId: volume.id,
        instanceId: node.id,
      });
      new LbTargetGroupAttachment(this, `node-${i}-target`, {
        targetGroupArn: this.targetGroup.arn,
        targetId: node.id,
        port: PORTS.natsClient,
      });
    });

    this.loadBalancer = new Lb(this, "nlb", {
      name: `${p}-nats`,
      loadBalancerType: "network",
      internal: false,
      subnets: [...props.publicSubnetIds],
      securityGroups: [nlbSg.id],
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: config.deletionProtection,
    });
    new LbListener(this, "tls", {
      loadBalancerArn: this.loadBalancer.arn,
      port: PORTS.natsClient,
      protocol: "TLS",
      certificateArn: config.messaging.tlsCertificateArn,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
    });

    new TerraformOutput(this, "nats-url", { value: this.natsUrl });
    new TerraformOutput(this, "nlb-dns-name", { value: this.loadBalancer.dnsName });
    // What the release's runtime configuration measures (ami/write-runtime-config.ts).
    new TerraformOutput(this, "nats-ca-certificate", { value: this.natsCaCertificatePem });
    new TerraformOutput(this, "nats-server-name", { value: this.natsServerName });
  }
}

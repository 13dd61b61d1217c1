import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import type { Construct } from "constructs";
import type { EnvConfig } from "./config";
import { BaseStack } from "./shared/base-stack";
import { subnetCidr } from "./shared/cidr";

/**
 * Interface endpoints the private subnets reach AWS through (there is no NAT gateway:
 * hosts have no route to the internet). KMS, S3, DynamoDB, Secrets Manager and Logs for
 * the workloads; SSM, SSM Messages and EC2 Messages for Session Manager (the only way
 * in — no SSH); CloudWatch monitoring for the host metrics behind the health alarms;
 * AWS Private CA for the NATS nodes' certificates (decision 0064).
 */
export const INTERFACE_ENDPOINTS = [
  "kms",
  "s3",
  "dynamodb",
  "secretsmanager",
  "logs",
  "ssm",
  "ssmmessages",
  "ec2messages",
  "monitoring",
  "acm-pca",
] as const;

/**
 * S3 and DynamoDB also get (free) gateway endpoints: traffic from the VPC goes through
 * them, and their interface endpoints resolve privately only for inbound resolvers,
 * which is the combination AWS requires when both exist.
 */
const GATEWAY_ENDPOINTS = ["s3", "dynamodb"] as const;

/** VPC over three AZs: public subnets only for the NATS NLB, private subnets for all else. */
export class NetworkStack extends BaseStack {
  readonly vpc: Vpc;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];
  readonly privateSubnetCidrs: string[];
  /** Prefix list of the S3 gateway endpoint: where in-VPC S3 traffic goes (egress rules need it). */
  readonly s3PrefixListId: string;
  /** Prefix list of the DynamoDB gateway endpoint (the hosts write their heartbeat through it). */
  readonly dynamodbPrefixListId: string;

  constructor(scope: Construct, config: EnvConfig) {
    super(scope, "network", config);
    const p = this.prefix;
    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: config.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: p },
    });
    const igw = new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: { Name: p } });
    const publicRoutes = new RouteTable(this, "public-routes", { vpcId: this.vpc.id, tags: { Name: `${p}-public` } });
    new Route(this, "public-default", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    const privateRoutes = new RouteTable(this, "private-routes", {
      vpcId: this.vpc.id,
      tags: { Name: `${p}-private` },
    });

    this.privateSubnetIds = [];
    this.publicSubnetIds = [];
    this.privateSubnetCidrs = [];
    config.availabilityZones.forEach((az, i) => {
      const publicSubnet = new Subnet(this, `public-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(config.vpcCidr, i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${p}-public-${az}`, Tier: "public" },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, {
        subnetId: publicSubnet.id,
        routeTableId: publicRoutes.id,
      });
      const cidr = subnetCidr(config.vpcCidr, 3 + i);
      const privateSubnet = new Subnet(this, `private-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: cidr,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${p}-private-${az}`, Tier: "private" },
      });
      new RouteTableAssociation(this, `private-${i}-routes`, {
        subnetId: privateSubnet.id,
        routeTableId: privateRoutes.id,
      });
      this.publicSubnetIds.push(publicSubnet.id);
      this.privateSubnetIds.push(privateSubnet.id);
      this.privateSubnetCidrs.push(cidr);
    });

    const endpointSg = new SecurityGroup(this, "endpoints-sg", {
      name: `${p}-endpoints`,
      description: "HTTPS from inside the VPC to the AWS interface endpoints",
      vpcId: this.vpc.id,
      ingress: [
        {
          description: "HTTPS from the VPC",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: [config.vpcCidr],
        },
      ],
      egress: [],
    });

    const gateways: Record<string, VpcEndpoint> = {};
    for (const service of GATEWAY_ENDPOINTS) {
      gateways[service] = new VpcEndpoint(this, `gateway-${service}`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${config.region}.${service}`,
        vpcEndpointType: "Gateway",
        routeTableIds: [privateRoutes.id],
        tags: { Name: `${p}-${service}-gateway` },
      });
    }
    this.s3PrefixListId = (gateways.s3 as VpcEndpoint).prefixListId;
    this.dynamodbPrefixListId = (gateways.dynamodb as VpcEndpoint).prefixListId;
    for (const service of INTERFACE_ENDPOINTS) {
      const hasGateway = (GATEWAY_ENDPOINTS as readonly string[]).includes(service);
      new VpcEndpoint(this, `interface-${service}`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${config.region}.${service}`,
        vpcEndpointType: "Interface",
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [endpointSg.id],
        privateDnsEnabled: true,
        ...(hasGateway ? { dnsOptions: { privateDnsOnlyForInboundResolverEndpoint: true } } : {}),
        tags: { Name: `${p}-${service}` },
      });
    }
  }
}

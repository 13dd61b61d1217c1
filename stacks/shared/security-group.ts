import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";

/** A peer of a rule: an IPv4 CIDR, another security group, or a managed prefix list (gateway endpoints). */
export type Peer = { cidr: string } | { group: string } | { prefixList: string };

/**
 * A security group whose rules are separate resources (one per port and peer), so rules
 * can be added from other stacks without the inline-rule conflicts Terraform has. Starts
 * with no rules at all: nothing in, nothing out.
 */
export class Firewall extends Construct {
  readonly group: SecurityGroup;

  constructor(scope: Construct, id: string, props: { name: string; description: string; vpcId: string }) {
    super(scope, id);
    this.group = new SecurityGroup(this, "group", {
      name: props.name,
      description: props.description,
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
  }

  get id(): string {
    return this.group.id;
  }

  /** Allows TCP `port` in from `peer`. */
  allowIn(id: string, port: number, peer: Peer, description: string): void {
    allowIngress(this, `${id}-in`, this.group.id, port, peer, description);
  }

  /** Allows TCP `port` out to `peer`. */
  allowOut(id: string, port: number, peer: Peer, description: string): void {
    new VpcSecurityGroupEgressRule(this, `${id}-out`, {
      securityGroupId: this.group.id,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      description,
      ...peerFields(peer),
    });
  }
}

/** An ingress rule on a group owned elsewhere (e.g. another stack's group). */
export function allowIngress(
  scope: Construct,
  id: string,
  groupId: string,
  port: number,
  peer: Peer,
  description: string,
): void {
  new VpcSecurityGroupIngressRule(scope, id, {
    securityGroupId: groupId,
    ipProtocol: "tcp",
    fromPort: port,
    toPort: port,
    description,
    ...peerFields(peer),
  });
}

function peerFields(
  peer: Peer,
): { cidrIpv4: string } | { referencedSecurityGroupId: string } | { prefixListId: string } {
  if ("cidr" in peer) return { cidrIpv4: peer.cidr };
  if ("group" in peer) return { referencedSecurityGroupId: peer.group };
  return { prefixListId: peer.prefixList };
}

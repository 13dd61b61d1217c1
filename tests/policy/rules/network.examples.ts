import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Firewall } from "../../../stacks/shared/security-group";
import { synthFresh } from "../fresh-stack";

/**
 * A separate-resource ingress rule (as the stacks write them) on `port` from `cidr`, on
 * a group attached to an internet-facing NLB when `onPublicLoadBalancer`.
 */
export const ingress = (port: number, cidr: string, onPublicLoadBalancer = false) =>
  synthFresh((s) => {
    const fw = new Firewall(s, "fw", { name: "fw", description: "example", vpcId: "vpc-1" });
    fw.allowIn("rule", port, { cidr }, "example");
    if (onPublicLoadBalancer) {
      new Lb(s, "nlb", { name: "nlb", loadBalancerType: "network", internal: false, securityGroups: [fw.id] });
    }
  });

/** An inline-rule security group open on a port range. */
export const inlineRange = (from: number, to: number, cidr: string) =>
  synthFresh((s) => {
    new SecurityGroup(s, "sg", {
      name: "sg",
      ingress: [{ fromPort: from, toPort: to, protocol: "tcp", cidrBlocks: [cidr] }],
    });
  });

/** An instance and a launch template with the given IMDS token setting and key pair. */
export const hosts = (httpTokens: "required" | "optional", keyName?: string) =>
  synthFresh((s) => {
    new Instance(s, "i", {
      ami: "ami-1",
      instanceType: "m6i.xlarge",
      metadataOptions: { httpTokens },
      ...(keyName ? { keyName } : {}),
    });
    new LaunchTemplate(s, "lt", { name: "lt", metadataOptions: { httpTokens }, ...(keyName ? { keyName } : {}) });
  });

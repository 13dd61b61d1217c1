import { blocks, type Finding, finding, list, type PolicyRule, resources } from "../terraform";

/**
 * Ports that may be open to the internet, and why: the public NATS client port on the NLB
 * (TLS terminated there) and HTTPS. Only on a security group of an internet-facing load
 * balancer; everything else is reachable only from inside the VPC.
 */
export const PUBLIC_PORTS: Readonly<Record<number, string>> = {
  443: "HTTPS",
  4222: "NATS clients through the public NLB TLS listener",
};

const OPEN = ["0.0.0.0/0", "::/0"];

/** An ingress rule as (from, to, protocol, cidrs) from any of the three ways Terraform writes one. */
interface Ingress {
  from: number;
  to: number;
  protocol: string;
  cidrs: string[];
}

/** Every ingress rule of the app with the resource that declares it. */
export function ingressRules(synth: Parameters<PolicyRule["check"]>[0]) {
  const out: { ref: ReturnType<typeof resources>[number]; rule: Ingress }[] = [];
  const num = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  for (const ref of resources(synth, "aws_security_group")) {
    for (const r of blocks(ref.body.ingress)) {
      const cidrs = [...list(r.cidr_blocks as string[]), ...list(r.ipv6_cidr_blocks as string[])];
      out.push({
        ref,
        rule: { from: num(r.from_port, 0), to: num(r.to_port, 65535), protocol: String(r.protocol), cidrs },
      });
    }
  }
  for (const ref of resources(synth, "aws_vpc_security_group_ingress_rule")) {
    const b = ref.body;
    const cidrs = [b.cidr_ipv4, b.cidr_ipv6].filter((c): c is string => typeof c === "string");
    out.push({
      ref,
      rule: { from: num(b.from_port, 0), to: num(b.to_port, 65535), protocol: String(b.ip_protocol), cidrs },
    });
  }
  for (const ref of resources(synth, "aws_security_group_rule")) {
    const b = ref.body;
    if (b.type !== "ingress") continue;
    const cidrs = [...list(b.cidr_blocks as string[]), ...list(b.ipv6_cidr_blocks as string[])];
    out.push({
      ref,
      rule: { from: num(b.from_port, 0), to: num(b.to_port, 65535), protocol: String(b.protocol), cidrs },
    });
  }
  // Protocol "-1" means all ports whatever from/to say.
  for (const r of out) if (r.rule.protocol === "-1") Object.assign(r.rule, { from: 0, to: 65535 });
  return out;
}

/** The group a rule belongs to, as a Terraform reference (`${aws_security_group.x.id}`). */
function groupOf(ref: ReturnType<typeof resources>[number]): string {
  return ref.type === "aws_security_group"
    ? `\${aws_security_group.${ref.name}.id}`
    : String(ref.body.security_group_id);
}

/** Security groups attached to internet-facing load balancers, per stack. */
function publicLoadBalancerGroups(synth: Parameters<PolicyRule["check"]>[0]): Set<string> {
  const groups = new Set<string>();
  for (const lb of [...resources(synth, "aws_lb"), ...resources(synth, "aws_alb")]) {
    if (lb.body.internal === true) continue;
    for (const g of list(lb.body.security_groups as string[])) groups.add(`${lb.stack}|${g}`);
  }
  return groups;
}

/**
 * No security group admits 0.0.0.0/0 or ::/0, except a single allow-listed public port
 * on the security group of an internet-facing load balancer.
 */
export const securityGroupIngress: PolicyRule = {
  id: "security-group-ingress",
  description: "Security groups are open to the internet only on the public NLB/API ports",
  check(synth) {
    const out: Finding[] = [];
    const publicGroups = publicLoadBalancerGroups(synth);
    for (const { ref, rule } of ingressRules(synth)) {
      if (!rule.cidrs.some((c) => OPEN.includes(c))) continue;
      const single = rule.from === rule.to && PUBLIC_PORTS[rule.from] !== undefined;
      if (!single) {
        out.push(finding(this.id, ref, `ports ${rule.from}-${rule.to} open to the internet`));
      } else if (!publicGroups.has(`${ref.stack}|${groupOf(ref)}`)) {
        out.push(finding(this.id, ref, `port ${rule.from} open to the internet on a group of no public load balancer`));
      }
    }
    return out;
  },
};

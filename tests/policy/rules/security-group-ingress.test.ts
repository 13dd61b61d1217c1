import { CONTEXT } from "../fresh-stack";
import { ingress, inlineRange } from "./network.examples";
import { securityGroupIngress } from "./security-group-ingress";

describe("rule security-group-ingress", () => {
  it("passes the public NATS port from anywhere on the public NLB's group, and any port from inside the VPC", () => {
    expect(securityGroupIngress.check(ingress(4222, "0.0.0.0/0", true), CONTEXT)).toEqual([]);
    expect(securityGroupIngress.check(ingress(6222, "10.40.0.0/16"), CONTEXT)).toEqual([]);
  });
  it("fails the public port open to 0.0.0.0/0 on a group no public load balancer uses", () => {
    expect(securityGroupIngress.check(ingress(4222, "0.0.0.0/0"), CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/no public load balancer/) }),
    ]);
  });
  it("fails another port open to 0.0.0.0/0", () => {
    expect(securityGroupIngress.check(ingress(8222, "0.0.0.0/0", true), CONTEXT)).toEqual([
      expect.objectContaining({ message: "ports 8222-8222 open to the internet" }),
    ]);
  });
  it("fails a range open to ::/0 even if it contains a public port", () => {
    expect(securityGroupIngress.check(inlineRange(0, 65535, "::/0"), CONTEXT)).toEqual([
      expect.objectContaining({ address: "aws_security_group.sg" }),
    ]);
  });
});

import { CONTEXT } from "../fresh-stack";
import { natsNode, nodeUserDataWith, PLAINTEXT_NODE_CONF, renderedNodeUserData } from "./nats.examples";
import { natsRouteTls } from "./nats-route-tls";

describe("rule nats-route-tls", () => {
  it("passes the node configuration the messaging stack renders, behind a TLS target group", () => {
    expect(natsRouteTls.check(natsNode(renderedNodeUserData), CONTEXT)).toEqual([]);
  });

  it("fails plaintext clients, plaintext unauthenticated routes and a TCP target group", () => {
    // Act
    const findings = natsRouteTls.check(natsNode(nodeUserDataWith(PLAINTEXT_NODE_CONF), "TCP"), CONTEXT);
    // Assess
    expect(findings.map((f) => `${f.address}: ${f.message}`)).toEqual([
      "aws_instance.node: the client port has no tls block with a certificate (plaintext clients accepted)",
      "aws_instance.node: routes are not TLS (cluster.tls missing)",
      "aws_instance.node: routes are not authorized (cluster.authorization.user missing): any peer can join",
      "aws_lb_target_group.clients: forwards NATS clients to the nodes as TCP, not TLS",
    ]);
  });

  it.each([
    ["verify: true", "verify: false", "routes are not mutual TLS (cluster.tls.verify is not true)"],
    [
      "    verify_and_map: true\n",
      "",
      "route certificates are not mapped to the route user (cluster.tls.verify_and_map)",
    ],
    [
      / {2}authorization \{\n.*\n {2}\}\n/,
      "",
      "routes are not authorized (cluster.authorization.user missing): any peer can join",
    ],
  ])("fails a rendered configuration once %s is taken away", (from, to, problem) => {
    // Prepare
    const weakened = renderedNodeUserData.replace(from, to);
    // Act
    const findings = natsRouteTls.check(natsNode(weakened), CONTEXT);
    // Assess
    expect(weakened).not.toBe(renderedNodeUserData);
    expect(findings.map((f) => f.message)).toEqual([problem]);
  });
});

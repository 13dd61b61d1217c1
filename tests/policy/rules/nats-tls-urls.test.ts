import { CONTEXT } from "../fresh-stack";
import { natsClients, natsNode, renderedNodeUserData } from "./nats.examples";
import { natsTlsUrls } from "./nats-tls-urls";

describe("rule nats-tls-urls", () => {
  it("passes handlers, hosts and outputs that get tls:// URLs, and a node with nats-route:// routes", () => {
    expect(natsTlsUrls.check(natsClients("tls://10.0.48.10:4222"), CONTEXT)).toEqual([]);
    expect(natsTlsUrls.check(natsNode(renderedNodeUserData), CONTEXT)).toEqual([]);
  });

  it("fails every place that hands out a plaintext nats:// URL", () => {
    // Act
    const findings = natsTlsUrls.check(natsClients("nats://10.0.48.10:4222"), CONTEXT);
    // Assess
    expect(findings.map((f) => f.address).sort()).toEqual([
      "aws_lambda_function.edge",
      "aws_launch_template.host",
      "output.nats-url",
    ]);
    expect(findings[0]?.message).toContain("nats://10.0.48.10:4222");
  });
});

import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Fn, TerraformOutput } from "../../../stacks/cdktf";
import { natsUserData } from "../../../stacks/messaging-user-data";
import { synthFresh } from "../fresh-stack";

/** A NATS node's user data as the messaging stack renders it (TLS, mutual-TLS routes, route authorization). */
export const renderedNodeUserData = natsUserData({
  nodeName: "vettid-x-nats-0",
  clusterName: "vettid-x",
  region: "eu-central-1",
  volumeIdNoDash: "vol0123",
  operatorSecretArn: "arn:aws:secretsmanager:eu-central-1:1:secret:op",
  nodeAddress: "10.0.48.10",
  routes: ["10.0.64.10", "10.0.80.10"],
  certificates: {
    caArn: "arn:aws:acm-pca:eu-central-1:1:certificate-authority/x",
    templateArn: "arn:aws:acm-pca:::template/EndEntityCertificate/V1",
    validityDays: 7,
  },
  jetstreamMaxFileGiB: 9,
  ports: { client: 4222, cluster: 6222, monitor: 8222 },
});

/** The node configuration before TLS: plaintext clients, plaintext routes any group member may open. */
export const PLAINTEXT_NODE_CONF = `port: 4222
cluster {
  name: "vettid-x"
  port: 6222
  routes: [
    "nats-route://10.0.64.10:6222"
  ]
}
`;

/** A node configuration with `nats.conf` replaced by `conf`. */
export function nodeUserDataWith(conf: string): string {
  return renderedNodeUserData.replace(
    /cat > \/etc\/nats\/nats\.conf <<CONF\n[\s\S]*?\nCONF\n/,
    `cat > /etc/nats/nats.conf <<CONF\n${conf}\nCONF\n`,
  );
}

/** A NATS node with `userData` and the NLB target group of its client port, forwarding as `protocol`. */
export const natsNode = (userData: string, protocol: "TLS" | "TCP" = "TLS") =>
  synthFresh((s) => {
    new Instance(s, "node", { ami: "ami-1", instanceType: "t3.medium", userData });
    new LbTargetGroup(s, "clients", { name: "clients", port: 4222, protocol, vpcId: "vpc-1" });
  });

/** NATS clients as the stacks configure them: an edge handler, a vault host template, an output. */
export const natsClients = (url: string) =>
  synthFresh((s) => {
    new LambdaFunction(s, "edge", {
      functionName: "edge",
      role: "arn:aws:iam::1:role/r",
      runtime: "nodejs22.x",
      handler: "index.handler",
      filename: "f.zip",
      environment: { variables: { VETTID_NATS_URLS: url } },
    });
    new LaunchTemplate(s, "host", {
      name: "host",
      userData: Fn.base64encode(`cat > /etc/vettid/vault-host.env <<'ENV'\nVETTID_NATS_URL=${url},${url}\nENV\n`),
    });
    new TerraformOutput(s, "nats-url", { value: url });
  });

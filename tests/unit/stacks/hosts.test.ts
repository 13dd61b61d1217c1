/** The vault fleet and the NATS cluster, as synthesized for dev. */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { heartbeatUpdate, HEARTBEAT_ATTRIBUTES as LIB_HEARTBEAT_ATTRIBUTES } from "../../../lib/store";
import { buildStacks } from "../../../stacks/app";
import { type TerraformStack, Testing } from "../../../stacks/cdktf";
import { envConfig } from "../../../stacks/config";
import { readFunctions } from "../../../stacks/inputs/functions";
import { readManifest } from "../../../stacks/inputs/manifest";
import { REPO_ROOT } from "../../../stacks/synthesize";
import { HEARTBEAT_ATTRIBUTES, OWN_HEARTBEAT_PARTITION } from "../../../stacks/vault-fleet";
import { CLOUDWATCH_AGENT_CONFIG_PATH, PROXY_LOG_PATH } from "../../../stacks/vault-fleet-user-data";
import { synthOptionsForTests, testRuntimeNatsKey } from "../../policy/synth-options";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

const options = synthOptionsForTests(false);
const stacks = buildStacks(Testing.app({ stackTraces: false }), {
  config: envConfig("dev"),
  functions: readFunctions(REPO_ROOT, options.functionsFile),
  manifest: readManifest(options.manifestFile, options.manifestKeyFile),
  runtimeNatsKey: testRuntimeNatsKey("dev"),
  root: REPO_ROOT,
});
const synth = (stack: TerraformStack) => (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;

describe("vault fleet", () => {
  const resource = synth(stacks.vaultFleet);
  const template = resource.aws_launch_template?.["host-template"] ?? {};

  it("launches enclave-enabled hosts with IMDSv2, no key pair, and the SSM profile", () => {
    expect(template.enclave_options).toEqual({ enabled: true });
    expect(template.metadata_options).toEqual(
      expect.objectContaining({ http_tokens: "required", http_put_response_hop_limit: 1 }),
    );
    expect(template.key_name).toBeUndefined();
    expect(template.image_id).toBe("resolve:ssm:/vettid/dev/ami/vault-host");
    expect(Object.values(resource.aws_iam_role_policy_attachment ?? {}).map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]);
  });

  it("starts the allocator, the proxy, the vsock bridge and the enclave from user data", () => {
    const userData = String(template.user_data);
    expect(userData).toContain("systemctl enable --now nitro-enclaves-allocator.service");
    expect(userData).toContain(
      "systemctl enable --now vettid-vsock-proxy.service vettid-vsock-bridge.service vettid-enclave.service",
    );
    expect(userData).toContain("memory_mib: 2048");
  });

  it("ships the proxy's log, and with it its EMF metrics, to the host log group with the CloudWatch agent", () => {
    const userData = String(template.user_data);
    // Inside Terraform's base64encode("…"), a newline is the escape \n.
    const encoded = /<<'CWAGENT'(?:\n|\\n)([A-Za-z0-9+/=]+)(?:\n|\\n)CWAGENT/.exec(userData)?.[1] ?? "";
    const agent = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as {
      logs: { logs_collected: { files: { collect_list: { file_path: string; log_group_name: string }[] } } };
    };
    const collected = agent.logs.logs_collected.files.collect_list;
    const logGroup = Object.values(resource.aws_cloudwatch_log_group ?? {})[0] ?? {};
    expect(collected).toEqual([expect.objectContaining({ file_path: PROXY_LOG_PATH, log_group_name: logGroup.name })]);
    expect(userData).toContain(
      `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${CLOUDWATCH_AGENT_CONFIG_PATH}`,
    );
    // The host role may write that group's streams.
    const policy = JSON.parse(String(Object.values(resource.aws_iam_role_policy ?? {})[0]?.policy)) as {
      Statement: { Action: string | string[]; Resource: string }[];
    };
    const logs = policy.Statement.find((st) => [st.Action].flat().includes("logs:PutLogEvents"));
    expect(logs?.Resource).toMatch(/aws_cloudwatch_log_group\.logs\.arn.*:\*$/);
  });

  it("installs the agent in the AMI, and the proxy's unit appends to the file the agent ships", () => {
    const packer = readFileSync(join(REPO_ROOT, "ami", "packer", "vettid.pkr.hcl"), "utf8");
    const unit = readFileSync(join(REPO_ROOT, "ami", "host", "systemd", "vettid-vsock-proxy.service"), "utf8");
    const rotate = readFileSync(join(REPO_ROOT, "ami", "host", "logrotate-vettid"), "utf8");
    expect(packer).toMatch(/dnf install -y [^"]*\bamazon-cloudwatch-agent\b/);
    expect(packer).toContain("/etc/logrotate.d/vettid");
    expect(unit).toContain(`StandardOutput=append:${PROXY_LOG_PATH}`);
    expect(unit).toContain(`StandardError=append:${PROXY_LOG_PATH}`);
    expect(rotate).toContain(PROXY_LOG_PATH);
    expect(rotate).toContain("copytruncate");
  });

  it("may write only its own heartbeat partition of the table, only its attributes, and only by UpdateItem", () => {
    const policy = Object.values(resource.aws_iam_role_policy ?? {})[0] ?? {};
    const statements = (JSON.parse(String(policy.policy)) as { Statement: Record<string, unknown>[] }).Statement;
    const dynamodb = statements.filter((st) => JSON.stringify(st.Action).includes("dynamodb:"));
    expect(dynamodb).toEqual([
      {
        Sid: "HostRegistryOwnHeartbeat",
        Effect: "Allow",
        Action: "dynamodb:UpdateItem",
        Resource: expect.stringContaining("aws_dynamodb_table"),
        Condition: {
          "ForAllValues:StringEquals": {
            // Terraform's escape: IAM receives the policy variable `${ec2:SourceInstanceARN}`.
            "dynamodb:LeadingKeys": ["HOST#$${ec2:SourceInstanceARN}"],
            "dynamodb:Attributes": [...HEARTBEAT_ATTRIBUTES],
          },
        },
      },
    ]);
  });

  it("names exactly the attributes the proxy's heartbeat writes, and the key layout the proxy uses", () => {
    // Prepare
    const arn = "arn:aws:ec2:eu-central-1:111111111111:instance/i-0123456789abcdef0";
    const update = heartbeatUpdate("t", { hostId: "i-0123456789abcdef0", instanceArn: arn, at: 1, vaultCount: 0 });
    // Assess
    expect([...HEARTBEAT_ATTRIBUTES].sort()).toEqual([...LIB_HEARTBEAT_ATTRIBUTES].sort());
    const names: Record<string, string> = update.ExpressionAttributeNames;
    const set = update.UpdateExpression.replace(/^SET /, "")
      .split(", ")
      .map((assignment) => assignment.split(" = ")[0] ?? "")
      .map((name) => names[name] ?? name);
    expect([...Object.keys(update.Key), ...set].sort()).toEqual([...HEARTBEAT_ATTRIBUTES].sort());
    expect(update.Key.pk).toBe(OWN_HEARTBEAT_PARTITION.replace("$${ec2:SourceInstanceARN}", arn));
  });

  it("admits no inbound traffic to the hosts", () => {
    const hostIngress = Object.values(resource.aws_vpc_security_group_ingress_rule ?? {}).filter((r) =>
      String(r.security_group_id).includes("host-sg"),
    );
    expect(hostIngress).toEqual([]);
  });
});

describe("NATS cluster", () => {
  const resource = synth(stacks.messaging);
  const nodes = Object.values(resource.aws_instance ?? {});

  it("runs three nodes, each routing to the other two", () => {
    expect(nodes).toHaveLength(3);
    const addresses = nodes.map((n) => String(n.private_ip));
    nodes.forEach((node, i) => {
      const userData = String(node.user_data);
      for (const [j, other] of addresses.entries()) {
        expect(userData.includes(`nats-route://${other}:6222`)).toBe(i !== j);
      }
      expect(userData).toContain("jetstream {");
      expect(userData).toContain("secretsmanager get-secret-value");
    });
  });

  it("keeps JetStream on encrypted EBS volumes and serves clients through a TLS NLB", () => {
    const volumes = Object.values(resource.aws_ebs_volume ?? {});
    expect(volumes).toHaveLength(3);
    expect(volumes.every((v) => v.encrypted === true && typeof v.kms_key_id === "string")).toBe(true);
    const listener = resource.aws_lb_listener?.tls;
    expect(listener).toEqual(expect.objectContaining({ protocol: "TLS", port: 4222 }));
    expect(resource.aws_lb?.nlb?.internal).toBe(false);
  });
});

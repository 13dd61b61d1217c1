/**
 * The policy rules over the REAL synthesized output of every stack, for each
 * environment's configuration. Synthesis runs in-process through the app code
 * (stacks/synthesize.ts), into a temporary directory: every environment with the dev
 * manifest (released), and staging and prod also as before their first release (no
 * manifest: the sealing key approves no enclave).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envConfig } from "../../stacks/config";
import { activeReleases } from "../../stacks/inputs/manifest";
import { synthesize } from "../../stacks/synthesize";
import { RULES } from "./rules";
import { synthOptionsForTests, testRuntimeNatsKeyFile } from "./synth-options";
import { loadSynth, type RuleContext, type Synth } from "./terraform";

/** Each case: a name, the environment, and whether it is synthesized with a manifest. */
const CASES = [
  ["dev", "dev", true],
  ["staging", "staging", true],
  ["prod", "prod", true],
  ["staging (no release yet)", "staging", false],
  ["prod (no release yet)", "prod", false],
] as const;
type CaseName = (typeof CASES)[number][0];
const EXPECTED_STACKS = ["data", "edge", "keys", "messaging", "network", "observability", "release", "vault-fleet"];

describe("policy rules on the synthesized stacks", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-policy-"));
  const synths: Partial<Record<CaseName, Synth>> = {};
  const contexts: Partial<Record<CaseName, RuleContext>> = {};

  beforeAll(() => {
    // Prepare
    const options = synthOptionsForTests();
    CASES.forEach(([name, env, released], i) => {
      // Act
      const outdir = join(dir, String(i));
      const { manifest } = synthesize({
        ...options,
        ...(released ? { runtimeNatsKeyFile: testRuntimeNatsKeyFile(env) } : { manifestFile: null }),
        env,
        outdir,
      });
      synths[name] = loadSynth(outdir);
      contexts[name] = {
        activePcr0s: manifest === null ? [] : activeReleases(manifest).map((r) => r.pcr0),
        releaseRoleArn: envConfig(env).release.signerRoleArn,
      };
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CASES.map(([name]) => name))("%s: every stack is synthesized", (name) => {
    // Assess
    expect(Object.keys(synths[name] ?? {}).sort()).toEqual(EXPECTED_STACKS);
  });

  it.each(CASES.map(([name, , released]) => [name, released]))(
    "%s: the rules judge the manifest the stacks were built from",
    (name, released) => {
      // Assess: a released case approves PCR0s, an unreleased one none.
      expect((contexts[name]?.activePcr0s.length ?? 0) > 0).toBe(released);
    },
  );

  const cases = CASES.flatMap(([name]) => RULES.map((rule) => [name, rule.id, rule] as const));
  it.each(cases)("%s: %s passes", (name, _id, rule) => {
    // Act
    const findings = rule.check(synths[name] ?? {}, contexts[name] as RuleContext);
    // Assess
    expect(findings).toEqual([]);
  });

  it("the rules see the resources they judge (not vacuously green)", () => {
    // Assess: each resource type the rules read is present in the dev output.
    const dev = synths.dev ?? {};
    const types = new Set(Object.values(dev).flatMap((tf) => Object.keys(tf.resource ?? {})));
    for (const t of [
      "aws_s3_bucket",
      "aws_dynamodb_table",
      "aws_iam_role_policy",
      "aws_vpc_security_group_ingress_rule",
      "aws_instance",
      "aws_launch_template",
      "aws_lambda_function",
      "aws_cloudwatch_log_group",
      "aws_kms_key",
      "aws_cloudtrail",
      "aws_cloudwatch_event_rule",
      "aws_cloudwatch_event_target",
      "aws_sns_topic_policy",
      "aws_lb_target_group",
    ]) {
      expect(types).toContain(t);
    }
    // nats-route-tls judges the nodes' nats.conf: the dev nodes write one.
    const nodes = Object.values(dev).flatMap((tf) => Object.values(tf.resource?.aws_instance ?? {}));
    expect(nodes.filter((n) => String(n.user_data).includes("cat > /etc/nats/nats.conf <<CONF"))).toHaveLength(3);
  });
});

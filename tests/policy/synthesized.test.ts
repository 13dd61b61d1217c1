/**
 * The policy rules over the REAL synthesized output of every stack, for each
 * environment's configuration. Synthesis runs in-process through the app code
 * (stacks/synthesize.ts), into a temporary directory, with the dev manifest.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envConfig } from "../../stacks/config";
import { activeReleases, readManifest } from "../../stacks/inputs/manifest";
import { synthesize } from "../../stacks/synthesize";
import { RULES } from "./rules";
import { synthOptionsForTests } from "./synth-options";
import { loadSynth, type RuleContext, type Synth } from "./terraform";

const ENVS = ["dev", "staging", "prod"] as const;
const EXPECTED_STACKS = ["data", "edge", "keys", "messaging", "network", "observability", "release", "vault-fleet"];

describe("policy rules on the synthesized stacks", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-policy-"));
  const synths: Record<string, Synth> = {};
  let pcr0s: readonly string[];
  const context = (env: (typeof ENVS)[number]): RuleContext => ({
    activePcr0s: pcr0s,
    releaseRoleArn: envConfig(env).release.signerRoleArn,
  });

  beforeAll(() => {
    // Prepare
    const options = synthOptionsForTests();
    const manifest = readManifest(options.manifestFile, options.manifestKeyFile);
    pcr0s = activeReleases(manifest).map((r) => r.pcr0);
    for (const env of ENVS) {
      // Act
      synthesize({ ...options, env, outdir: join(dir, env) });
      synths[env] = loadSynth(join(dir, env));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(ENVS)("%s: every stack is synthesized", (env) => {
    // Assess
    expect(Object.keys(synths[env] ?? {}).sort()).toEqual(EXPECTED_STACKS);
  });

  const cases = ENVS.flatMap((env) => RULES.map((rule) => [env, rule.id, rule] as const));
  it.each(cases)("%s: %s passes", (env, _id, rule) => {
    // Act
    const findings = rule.check(synths[env] ?? {}, context(env));
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
    ]) {
      expect(types).toContain(t);
    }
  });
});

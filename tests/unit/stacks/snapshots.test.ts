/**
 * Snapshot of every stack's Terraform, for reviewers to diff: the app synthesized as
 * `npm run synth` does it (so cross-stack references appear as the remote-state reads
 * Terraform will see; cdktf's `Testing.synth` of a single stack leaves them unresolved),
 * one snapshot per stack's cdk.tf.json, policy documents expanded. Built from the
 * committed functions fixture and the dev manifest so the snapshots change only when the
 * stacks do. Update with `npx jest tests/unit/stacks -u` and review the diff.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildStacks, type VettidStacks } from "../../../stacks/app";
import { Testing } from "../../../stacks/cdktf";
import { envConfig } from "../../../stacks/config";
import { readFunctions } from "../../../stacks/inputs/functions";
import { readManifest } from "../../../stacks/inputs/manifest";
import { REPO_ROOT, synthesize } from "../../../stacks/synthesize";
import { synthOptionsForTests, testRuntimeNatsKey } from "../../policy/synth-options";

/** Policy documents are JSON strings in Terraform; expand them so a snapshot diff shows each statement. */
function expandPolicies(value: unknown): unknown {
  if (typeof value === "string" && value.startsWith('{"Version":"2012-10-17"')) return JSON.parse(value);
  if (Array.isArray(value)) return value.map(expandPolicies);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandPolicies(v)]));
  }
  return value;
}

function build(env: string): VettidStacks {
  const options = synthOptionsForTests(false);
  const app = Testing.app({ stackTraces: false });
  return buildStacks(app, {
    config: envConfig(env),
    functions: readFunctions(REPO_ROOT, options.functionsFile),
    manifest: readManifest(options.manifestFile, options.manifestKeyFile),
    runtimeNatsKey: testRuntimeNatsKey(env),
    root: REPO_ROOT,
  });
}

describe("stack snapshots (dev)", () => {
  const outdir = mkdtempSync(join(tmpdir(), "vettid-snapshots-"));
  const { stacks } = synthesize({ ...synthOptionsForTests(false), env: "dev", outdir });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  it.each(stacks.map((name) => [name]))("%s", (name) => {
    // Act
    const json = readFileSync(join(outdir, "stacks", name, "cdk.tf.json"), "utf8");
    // Assess: no machine-specific paths leak into the output.
    expect(json).not.toContain(REPO_ROOT);
    expect(expandPolicies(JSON.parse(json))).toMatchSnapshot();
  });
});

describe("prod differs from dev only where the config says", () => {
  it("uses remote state with locking and protects data", () => {
    const prod = build("prod");
    const data = JSON.parse(Testing.synth(prod.data));
    expect(data.terraform.backend.s3).toEqual(
      expect.objectContaining({
        bucket: "vettid-terraform-state-prod",
        key: "vettid/prod/data.tfstate",
        encrypt: true,
      }),
    );
    expect(data.terraform.backend.s3.dynamodb_table).toBe("vettid-terraform-locks");
    expect(data.resource.aws_dynamodb_table.table.deletion_protection_enabled).toBe(true);
  });
});

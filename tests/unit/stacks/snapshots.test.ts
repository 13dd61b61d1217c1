/**
 * Snapshot of every stack's Terraform (cdktf Testing.synth), for reviewers to diff. Built
 * from the committed functions fixture and the dev manifest so the snapshots change only
 * when the stacks do. Update with `npx jest tests/unit/stacks -u` and review the diff.
 */
import { buildStacks, type VettidStacks } from "../../../stacks/app";
import { Testing } from "../../../stacks/cdktf";
import { envConfig } from "../../../stacks/config";
import { readFunctions } from "../../../stacks/inputs/functions";
import { readManifest } from "../../../stacks/inputs/manifest";
import { REPO_ROOT } from "../../../stacks/synthesize";
import { synthOptionsForTests } from "../../policy/synth-options";

function build(env: string): VettidStacks {
  const options = synthOptionsForTests(false);
  const app = Testing.app({ stackTraces: false });
  return buildStacks(app, {
    config: envConfig(env),
    functions: readFunctions(REPO_ROOT, options.functionsFile),
    manifest: readManifest(options.manifestFile, options.manifestKeyFile),
    root: REPO_ROOT,
  });
}

describe("stack snapshots (dev)", () => {
  const stacks = build("dev");
  it.each(Object.entries(stacks))("%s", (_name, stack) => {
    // Act
    const json = Testing.synth(stack);
    // Assess: no machine-specific paths leak into the output.
    expect(json).not.toContain(REPO_ROOT);
    expect(JSON.parse(json)).toMatchSnapshot();
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

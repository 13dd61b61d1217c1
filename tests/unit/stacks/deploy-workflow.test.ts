/**
 * The deploy workflow: test → synth → plan → approval → deploy, OIDC only, and a stack
 * order that respects the synthesized dependencies (release before keys).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, synthesize } from "../../../stacks/synthesize";
import { synthOptionsForTests } from "../../policy/synth-options";

interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  steps: { uses?: string; with?: Record<string, unknown>; run?: string; env?: Record<string, string> }[];
}
interface Workflow {
  env: Record<string, string>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

// js-yaml (a devDependency, pinned to the 3.x line jest also uses) has no bundled types.
const { load } = require("js-yaml") as { load(text: string): unknown };
const text = readFileSync(join(REPO_ROOT, ".github/workflows/deploy.yml"), "utf8");
const workflow = load(text) as Workflow;

describe("deploy workflow", () => {
  it("runs test → synth → plan → deploy, with the approval gate on deploy", () => {
    expect(workflow.jobs.synth?.needs).toBe("test");
    expect(workflow.jobs.plan?.needs).toBe("synth");
    expect(workflow.jobs.deploy?.needs).toBe("plan");
    expect(workflow.jobs.deploy?.environment).toContain("inputs.environment");
  });

  it("reaches AWS only through OIDC roles, never static keys", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    for (const name of ["plan", "deploy"]) {
      const job = workflow.jobs[name] as Job;
      expect(job.permissions?.["id-token"]).toBe("write");
      const aws = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
      expect(aws?.with?.["role-to-assume"]).toMatch(/vars\.AWS_(PLAN|DEPLOY|RELEASE)_ROLE_ARN/);
    }
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
  });

  it("applies every stack once, in STACK_ORDER, and release and keys with the release role alone", () => {
    // Prepare: the role each apply step runs with is the one the last credentials step assumed.
    const applied: { stacks: string[]; role: string }[] = [];
    let role = "";
    for (const step of workflow.jobs.deploy?.steps ?? []) {
      if (step.uses?.startsWith("aws-actions/configure-aws-credentials")) role = String(step.with?.["role-to-assume"]);
      if (step.run === ".github/scripts/apply-stacks.sh")
        applied.push({ stacks: (step.env?.STACKS ?? "").split(" "), role });
    }
    // Assess
    expect(applied.flatMap((a) => a.stacks)).toEqual((workflow.env.STACK_ORDER ?? "").split(" "));
    for (const { stacks, role: used } of applied) {
      for (const stack of stacks) {
        // Only the release role may replace the sealing and signing key policies (decision 0057).
        const expected = ["release", "keys"].includes(stack) ? "AWS_RELEASE_ROLE_ARN" : "AWS_DEPLOY_ROLE_ARN";
        expect([stack, used]).toEqual([stack, `\${{ vars.${expected} }}`]);
      }
    }
    const script = readFileSync(join(REPO_ROOT, ".github/scripts/apply-stacks.sh"), "utf8");
    expect(script).toContain('if [ "$stack" = keys ]');
    expect(script).toContain("cmp published-manifest.json");
  });

  it("applies stacks in an order that respects every synthesized dependency", () => {
    const order = (workflow.env.STACK_ORDER ?? "").split(" ");
    const outdir = mkdtempSync(join(tmpdir(), "vettid-order-"));
    try {
      const { stacks } = synthesize({ ...synthOptionsForTests(false), env: "dev", outdir });
      expect([...order].sort()).toEqual(stacks);
      const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
        stacks: Record<string, { dependencies: string[] }>;
      };
      for (const [stack, { dependencies }] of Object.entries(manifest.stacks)) {
        for (const dep of dependencies) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(stack));
      }
      expect(order.indexOf("release")).toBeLessThan(order.indexOf("keys"));
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

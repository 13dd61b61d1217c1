/**
 * The deploy workflow: test → synth → plan → approval → deploy, OIDC only, the committed
 * provider lock file read-only, the reviewed plans applied as saved, and a stack order
 * that respects the synthesized dependencies (release before keys). The pull-request
 * workflow: `.ci/run`, synth of every environment and the policy tests, no AWS access.
 * The plan and apply scripts run here against a stand-in `terraform` that records its
 * calls.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROVIDER_LOCK_FILE, REPO_ROOT, synthesize } from "../../../stacks/synthesize";
import { synthOptionsForTests } from "../../policy/synth-options";

interface Step {
  name?: string;
  uses?: string;
  with?: Record<string, unknown>;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env: Record<string, string>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

// js-yaml (a devDependency, pinned to the 3.x line jest also uses) has no bundled types.
const { load } = require("js-yaml") as { load(text: string): unknown };
const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");
const text = read(".github/workflows/deploy.yml");
const workflow = load(text) as Workflow;
const prText = read(".github/workflows/pull-request.yml");
const pr = load(prText) as Workflow;
const planScript = read(".github/scripts/plan-stacks.sh");
const applyScript = read(".github/scripts/apply-stacks.sh");

const isAwsCredentials = (s: Step) => s.uses?.startsWith("aws-actions/configure-aws-credentials") ?? false;
const runs = (job: Job | undefined) =>
  (job?.steps ?? []).flatMap((s) => (s.run === undefined ? [] : [s.run.trim()])).join("\n");
/** Every `terraform ... <command>` line of a script. */
const terraformLines = (script: string, command: string) =>
  script.split("\n").filter((l) => new RegExp(`terraform\\s.*\\s${command}(\\s|$)`).test(l));

describe("deploy workflow", () => {
  it("runs test → synth → plan → deploy, with the approval gate on deploy", () => {
    expect(workflow.jobs.synth?.needs).toBe("test");
    expect(workflow.jobs.plan?.needs).toBe("synth");
    expect(workflow.jobs.deploy?.needs).toBe("plan");
    expect(workflow.jobs.deploy?.environment).toContain("inputs.environment");
  });

  it("tests with CI's one command, on Node 22", () => {
    expect(runs(workflow.jobs.test)).toBe("bash .ci/run");
    const setups = [workflow, pr].flatMap((w) =>
      Object.values(w.jobs).flatMap((j) => j.steps.filter((s) => s.uses?.startsWith("actions/setup-node"))),
    );
    expect(setups.length).toBeGreaterThan(0);
    for (const s of setups) expect(String(s.with?.["node-version"])).toBe("22");
  });

  it("reaches AWS only through OIDC roles, and only from the jobs that assume one", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const credentials = job.steps.filter(isAwsCredentials);
      // Assess: id-token only where a role is assumed, and every assumption by role, never by key.
      expect([name, job.permissions?.["id-token"]]).toEqual([name, credentials.length > 0 ? "write" : undefined]);
      for (const step of credentials) {
        expect(String(step.with?.["role-to-assume"])).toMatch(/^\$\{\{ vars\.AWS_(PLAN|DEPLOY|RELEASE)_ROLE_ARN \}\}$/);
        expect(Object.keys(step.with ?? {}).sort()).toEqual(["aws-region", "role-session-name", "role-to-assume"]);
      }
    }
    expect(Object.keys(workflow.jobs).filter((n) => workflow.jobs[n]?.steps.some(isAwsCredentials))).toEqual([
      "plan",
      "deploy",
    ]);
    for (const source of [text, prText, planScript, applyScript]) {
      expect(source).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/i);
      expect(source).not.toMatch(/secrets\./);
    }
  });

  it("uses the committed provider lock file, read-only, for every terraform init", () => {
    const synth = workflow.jobs.synth as Job;
    expect(runs(synth)).toMatch(
      /cmp stacks\/terraform\/\.terraform\.lock\.hcl "cdktf\.out\/stacks\/\$stack\/\.terraform\.lock\.hcl"/,
    );
    const upload = synth.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    expect(upload?.with?.["include-hidden-files"]).toBe(true);
    const inits = [...terraformLines(planScript, "init"), ...terraformLines(applyScript, "init")];
    expect(inits.length).toBeGreaterThanOrEqual(2);
    for (const line of inits) expect(line).toContain("-lockfile=readonly");
    expect(applyScript).toContain('cmp "$dir/.terraform.lock.hcl" stacks/terraform/.terraform.lock.hcl');
  });

  it("applies the saved plan the reviewers read, never a new one", () => {
    // Assess: the plan job saves tfplan and uploads it; the deploy job downloads that artifact and synthesizes nothing.
    expect(runs(workflow.jobs.plan)).toBe(".github/scripts/plan-stacks.sh");
    expect(terraformLines(planScript, "plan")).toEqual([expect.stringContaining("-out=tfplan")]);
    const uploaded = workflow.jobs.plan?.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    const downloaded = workflow.jobs.deploy?.steps.find((s) => s.uses?.startsWith("actions/download-artifact"));
    expect(downloaded?.with?.name).toBe(uploaded?.with?.name);
    expect(String(uploaded?.with?.path)).toMatch(/^cdktf\.out\n/);
    expect(uploaded?.with?.["include-hidden-files"]).toBe(true);
    expect(runs(workflow.jobs.deploy)).not.toMatch(/npm|synth/);
    expect(terraformLines(applyScript, "apply")).toEqual([expect.stringMatching(/apply -input=false tfplan$/)]);
    for (const source of [text, planScript, applyScript]) expect(source).not.toMatch(/auto-approve/);
  });

  it("applies every stack once, in STACK_ORDER, and release and keys with the release role alone", () => {
    // Prepare: the role each apply step runs with is the one the last credentials step assumed.
    const applied: { stacks: string[]; role: string }[] = [];
    let role = "";
    for (const step of workflow.jobs.deploy?.steps ?? []) {
      if (isAwsCredentials(step)) role = String(step.with?.["role-to-assume"]);
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
    expect(applyScript).toContain('if [ "$stack" = keys ]');
    expect(applyScript).toContain('cmp published-manifest.json "$manifest"');
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

describe("pull-request workflow", () => {
  it("runs .ci/run, synth of every environment and the policy tests, with no AWS access", () => {
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    expect(pr.permissions).toEqual({ contents: "read" });
    expect(runs(pr.jobs.ci)).toBe("bash .ci/run");
    expect(pr.jobs.synth?.strategy?.matrix?.environment).toEqual(["dev", "staging", "prod"]);
    expect(pr.jobs.synth?.env?.VETTID_ENV).toBe(`\${{ matrix.environment }}`);
    expect(runs(pr.jobs.synth)).toContain('npm run synth -- --env "$VETTID_ENV"');
    expect(runs(pr.jobs.policy)).toContain("npx jest tests/policy");
    for (const job of Object.values(pr.jobs)) {
      expect(job.permissions).toBeUndefined();
      expect(job.steps.some(isAwsCredentials)).toBe(false);
    }
    expect(prText).not.toMatch(/id-token/);
  });
});

/**
 * A stand-in for terraform: logs each call, writes `tfplan` on plan, and on `show -json`
 * reports as changed the outputs FAKE_TF_CHANGES (JSON: stack → output names) lists.
 */
const FAKE_TERRAFORM = `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> "$FAKE_TF_LOG"
dir="\${1#-chdir=}"
stack="$(basename "$dir")"
case "$2" in
  plan) touch "$dir/tfplan"; echo "plan of $stack" ;;
  show) jq -n --argjson c "$FAKE_TF_CHANGES" --arg s "$stack" \\
          '{output_changes: (($c[$s] // []) | map({key: ., value: {actions: ["update"]}}) | from_entries)}' ;;
  output) echo "https://cdn.invalid/.well-known/vettid/pcr-manifest.json" ;;
esac
`;

describe("plan and apply scripts", () => {
  const order = (workflow.env.STACK_ORDER ?? "").split(" ");
  let work: string;
  let log: string;

  beforeEach(() => {
    // Prepare: a checkout with the synthesized dev stacks (no release manifest for the env) and the stand-in.
    work = mkdtempSync(join(tmpdir(), "vettid-deploy-"));
    synthesize({ ...synthOptionsForTests(false), env: "dev", outdir: join(work, "cdktf.out") });
    mkdirSync(join(work, "stacks/terraform"), { recursive: true });
    copyFileSync(join(REPO_ROOT, PROVIDER_LOCK_FILE), join(work, PROVIDER_LOCK_FILE));
    mkdirSync(join(work, "bin"));
    writeFileSync(join(work, "bin/terraform"), FAKE_TERRAFORM);
    chmodSync(join(work, "bin/terraform"), 0o755);
    log = join(work, "terraform.log");
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  function run(script: string, env: Record<string, string>) {
    const result = spawnSync("bash", [join(REPO_ROOT, ".github/scripts", script)], {
      cwd: work,
      encoding: "utf8",
      env: {
        PATH: `${join(work, "bin")}:${process.env.PATH}`,
        FAKE_TF_LOG: log,
        FAKE_TF_CHANGES: "{}",
        STACK_ORDER: order.join(" "),
        VETTID_ENV: "unreleased",
        ...env,
      },
    });
    return { ...result, calls: existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [] };
  }
  const deferred = () => readFileSync(join(work, "cdktf.out/deferred-stacks"), "utf8").split("\n").filter(Boolean);
  const planned = () => order.filter((s) => existsSync(join(work, "cdktf.out/stacks", s, "tfplan")));

  it("plans and saves every stack when no cross-stack output changes", () => {
    // Act
    const { status, calls } = run("plan-stacks.sh", {});
    // Assess
    expect(status).toBe(0);
    expect(planned()).toEqual(order);
    expect(deferred()).toEqual([]);
    for (const call of calls.filter((c) => / init /.test(c))) expect(call).toContain("-lockfile=readonly");
  });

  it("defers the stacks that read an output an earlier plan changes, and what reads them", () => {
    // Act: network's plan changes the VPC id output that messaging and vault-fleet read.
    const { status } = run("plan-stacks.sh", { FAKE_TF_CHANGES: '{"network": ["cross-stack-output-aws_vpcvpcid"]}' });
    // Assess
    expect(status).toBe(0);
    expect(planned()).toEqual(["network", "data", "release"]);
    expect(deferred()).toEqual(["messaging", "edge", "vault-fleet", "keys", "observability"]);
  });

  it("defers nothing for an output no other stack reads (a new manifest's serial)", () => {
    const { status } = run("plan-stacks.sh", { FAKE_TF_CHANGES: '{"release": ["published-manifest-serial"]}' });
    expect(status).toBe(0);
    expect(deferred()).toEqual([]);
  });

  it("applies each saved plan as it is, and skips deferred stacks", () => {
    // Prepare: messaging's plan changes a secret ARN that only edge reads (and observability reads edge).
    run("plan-stacks.sh", {
      FAKE_TF_CHANGES: '{"messaging": ["cross-stack-output-aws_secretsmanager_secretdevice-signing-secretarn"]}',
    });
    rmSync(log);
    // Act
    const { status, calls, stdout } = run("apply-stacks.sh", { STACKS: order.join(" ") });
    // Assess
    expect(status).toBe(0);
    const applies = calls.filter((c) => / apply /.test(c));
    expect(applies).toEqual(planned().map((s) => `-chdir=cdktf.out/stacks/${s} apply -input=false tfplan`));
    expect(planned()).not.toContain("edge");
    expect(stdout).toContain("edge was deferred by the plan job");
    // No signed manifest is committed for this environment: keys applies with a notice, no CDN check.
    expect(planned()).toContain("keys");
    expect(stdout).toContain("unreleased has no signed release manifest yet: the sealing key approves no enclave");
    expect(calls.some((c) => / output /.test(c))).toBe(false);
  });

  it("applies keys only once the CDN serves the committed manifest", () => {
    // Prepare: a committed manifest, and a stand-in curl that serves CDN_SERVES.
    mkdirSync(join(work, "stacks/config/release/staging"), { recursive: true });
    writeFileSync(join(work, "stacks/config/release/staging/pcr-manifest.json"), '{"serial":2}\n');
    // apply-stacks.sh saves the CDN's answer as published-manifest.json (`curl ... -o`).
    const curl = ["#!/usr/bin/env bash", 'printf "%s\\n" "$CDN_SERVES" > published-manifest.json', ""].join("\n");
    writeFileSync(join(work, "bin/curl"), curl);
    chmodSync(join(work, "bin/curl"), 0o755);
    run("plan-stacks.sh", {});
    rmSync(log);
    // Act
    const stale = run("apply-stacks.sh", { STACKS: "keys", VETTID_ENV: "staging", CDN_SERVES: '{"serial":1}' });
    const served = run("apply-stacks.sh", { STACKS: "keys", VETTID_ENV: "staging", CDN_SERVES: '{"serial":2}' });
    // Assess
    expect(stale.status).not.toBe(0);
    expect(stale.stdout).toContain("the CDN does not serve the committed manifest yet");
    expect(served.status).toBe(0);
    expect(served.calls.filter((c) => / apply /.test(c))).toEqual([
      "-chdir=cdktf.out/stacks/keys apply -input=false tfplan",
    ]);
  });

  it("refuses a stack with no saved plan that was not deferred", () => {
    run("plan-stacks.sh", {});
    rmSync(join(work, "cdktf.out/stacks/data/tfplan"));
    const { status, stdout } = run("apply-stacks.sh", { STACKS: "network data" });
    expect(status).not.toBe(0);
    expect(stdout).toContain("::error::no saved plan for data");
  });

  it("refuses a stack whose lock file is not the committed one", () => {
    run("plan-stacks.sh", {});
    writeFileSync(join(work, "cdktf.out/stacks/network/.terraform.lock.hcl"), "# another provider\n");
    const { status, calls } = run("apply-stacks.sh", { STACKS: "network" });
    expect(status).not.toBe(0);
    expect(calls.filter((c) => / apply /.test(c))).toEqual([]);
  });
});

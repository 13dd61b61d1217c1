/**
 * `npm run synth [-- --env dev|staging|prod] [--out DIR] [--manifest F --manifest-key F] [--runtime-nats-key F] [--hcl]`
 *
 * Writes Terraform JSON for every stack of the environment into
 * `cdktf.out/stacks/<stack>/cdk.tf.json`. Offline: no terraform binary, no AWS. Builds
 * the REST handlers first (`npm run build:functions`) when their functions.json is missing.
 *
 * `--hcl` writes HCL (`cdk.tf`) for reviewers instead, through the installed cdktf CLI
 * (`cdktf synth --hcl`, also offline, no terraform binary; default output `cdktf.out/hcl`).
 * The JSON stays authoritative: it is what CI plans and tests/policy check, and
 * cdktf 0.21's HCL printer garbles strings that contain double quotes (the user data
 * scripts and the access-log format); policies are printed as `jsonencode({...})`.
 * Before an environment's first release (no signed manifest committed) it synthesizes a
 * sealing key that approves no enclave, and says so on one `notice:` line.
 * Exit 0 on success, 1 on a synth error, 2 on a usage error.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FUNCTIONS_FILE } from "./inputs/functions";
import { REPO_ROOT, synthesize } from "./synthesize";

function main(): number {
  let values: {
    env?: string;
    out?: string;
    manifest?: string;
    "manifest-key"?: string;
    "runtime-nats-key"?: string;
    hcl?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        env: { type: "string", default: "dev" },
        out: { type: "string" },
        manifest: { type: "string" },
        "manifest-key": { type: "string" },
        "runtime-nats-key": { type: "string" },
        hcl: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`usage error: ${(err as Error).message}\n`);
    return 2;
  }
  process.env.CHECKPOINT_DISABLE = "1";
  if (!existsSync(join(REPO_ROOT, FUNCTIONS_FILE))) {
    process.stdout.write(`${FUNCTIONS_FILE} is missing: running npm run build:functions\n`);
    const build = spawnSync("npm", ["run", "--silent", "build:functions"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (build.status !== 0) {
      process.stderr.write(`error: npm run build:functions failed (exit ${build.status}); the edge stack needs it\n`);
      return 1;
    }
  }
  if (values.hcl) return synthHcl(values.env ?? "dev", values.out ?? join(REPO_ROOT, "cdktf.out", "hcl"), values);
  try {
    const result = synthesize({
      env: values.env ?? "dev",
      outdir: values.out,
      manifestFile: values.manifest,
      manifestKeyFile: values["manifest-key"],
      runtimeNatsKeyFile: values["runtime-nats-key"],
    });
    for (const notice of result.notices) process.stdout.write(`notice: ${notice}\n`);
    process.stdout.write(`synthesized ${values.env} (${result.stacks.length} stacks) into ${result.outdir}/stacks:\n`);
    for (const s of result.stacks) process.stdout.write(`  ${s}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

/** Runs `cdktf synth --hcl` (the app of cdktf.json, stacks/main.ts) into `out`. */
function synthHcl(
  env: string,
  out: string,
  values: { manifest?: string; "manifest-key"?: string; "runtime-nats-key"?: string },
): number {
  const cli = join(REPO_ROOT, "node_modules", ".bin", "cdktf");
  const result = spawnSync(cli, ["synth", "--hcl", "--output", out], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: "1",
      VETTID_ENV: env,
      ...(values.manifest ? { VETTID_MANIFEST_FILE: resolve(values.manifest) } : {}),
      ...(values["manifest-key"] ? { VETTID_MANIFEST_KEY_FILE: resolve(values["manifest-key"]) } : {}),
      ...(values["runtime-nats-key"] ? { VETTID_RUNTIME_NATS_KEY_FILE: resolve(values["runtime-nats-key"]) } : {}),
    },
  });
  if (result.status !== 0) {
    process.stderr.write(`error: cdktf synth --hcl failed (exit ${result.status})\n`);
    return 1;
  }
  process.stdout.write(`synthesized ${env} as HCL into ${out}/stacks/<stack>/cdk.tf\n`);
  return 0;
}

process.exit(main());

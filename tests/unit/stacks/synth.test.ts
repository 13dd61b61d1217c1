/**
 * Synthesis from what is committed: staging and prod before their first release (no
 * signed manifest: a sealing key that approves no enclave, nothing published, no host),
 * the provider lock file in every stack directory, and the errors for missing inputs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestPaths } from "../../../stacks/app";
import { envConfig } from "../../../stacks/config";
import { PROVIDER_LOCK_FILE, REPO_ROOT, type SynthResult, synthesize } from "../../../stacks/synthesize";
import { FIXTURE_FUNCTIONS, synthOptionsForTests, testRuntimeNatsKeyFile } from "../../policy/synth-options";
import { loadSynth, type Synth, statements } from "../../policy/terraform";

const dir = mkdtempSync(join(tmpdir(), "vettid-synth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Synthesizes `env` into its own directory and reads it back. */
function synth(name: string, env: string, extra: Record<string, unknown> = {}): { result: SynthResult; tf: Synth } {
  const outdir = join(dir, name);
  const result = synthesize({ env, outdir, functionsFile: FIXTURE_FUNCTIONS, ...extra });
  return { result, tf: loadSynth(outdir) };
}

function resource(tf: Synth, stack: string, type: string, name: string): Record<string, unknown> {
  return tf[stack]?.resource?.[type]?.[name] ?? {};
}

describe("synth with what is committed", () => {
  it.each(["staging", "prod"])("%s synthesizes from the committed inputs alone", (env) => {
    // Act: no --manifest, as `npm run synth -- --env <env>` on a clean checkout.
    const { result } = synth(`committed-${env}`, env);
    // Assess
    expect(result.stacks).toHaveLength(8);
    const committed = existsSync(manifestPaths(REPO_ROOT, envConfig(env)).manifest);
    expect(result.notices).toEqual(
      committed
        ? []
        : [
            `${env}: no signed release manifest committed (stacks/config/release/${env}/pcr-manifest.json): the sealing key approves no enclave`,
          ],
    );
    expect(result.manifest === null).toBe(!committed);
  });
});

describe("an environment before its first release", () => {
  const { result, tf } = synth("unreleased", "staging", { manifestFile: null });

  it("says so", () => {
    expect(result.manifest).toBeNull();
    expect(result.notices).toEqual([expect.stringMatching(/^staging: .*the sealing key approves no enclave$/)]);
  });

  it("has a sealing key that approves no enclave and grants nobody Decrypt or GenerateDataKey", () => {
    const key = resource(tf, "keys", "aws_kms_key", "sealing-key");
    expect(key.description).toBe(
      "vettid-staging vault sealing key (approves no enclave: no signed release manifest yet)",
    );
    const policy = statements(key.policy);
    expect(policy.map((s) => s.Sid)).toEqual([
      "AccountReadsAndStopsKeyButCannotChangeIt",
      "ReleaseRoleAloneReplacesPolicy",
      "ReleaseRoleManagesKey",
      "NobodyBypassesLockoutSafetyCheck",
      "ReleaseSealsNatsKey",
    ]);
    const granted = policy.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action ?? []].flat());
    expect(granted.filter((a) => /Decrypt|GenerateDataKey|ReEncrypt|\*/.test(a))).toEqual([]);
  });

  it("publishes no manifest (serial 0)", () => {
    expect(tf.release?.resource?.aws_s3_object).toBeUndefined();
    const outputs = (tf.release?.output ?? {}) as Record<string, { value: unknown }>;
    expect(outputs["published-manifest-serial"]?.value).toBe(0);
  });

  it("runs no vault host, and the host role reaches no enclave image", () => {
    const group = resource(tf, "vault-fleet", "aws_autoscaling_group", "hosts");
    expect([group.min_size, group.max_size, group.desired_capacity]).toEqual([0, 0, 0]);
    const hostPolicy = statements(resource(tf, "vault-fleet", "aws_iam_role_policy", "host-policy").policy);
    expect(hostPolicy.map((s) => s.Sid)).not.toContain("EnclaveImageOfTheRelease");
    const userData = String(resource(tf, "vault-fleet", "aws_launch_template", "host-template").user_data);
    expect(userData).toContain("has no signed release manifest yet, this host runs no enclave");
    expect(userData).not.toContain("systemctl");
  });
});

describe("the provider lock file", () => {
  const { result, tf } = synth("lock", "dev", synthOptionsForTests(false));
  const lock = readFileSync(join(REPO_ROOT, PROVIDER_LOCK_FILE), "utf8");

  it("is copied into every stack directory", () => {
    for (const stack of result.stacks) {
      expect(readFileSync(join(result.outdir, "stacks", stack, ".terraform.lock.hcl"), "utf8")).toBe(lock);
    }
  });

  it("pins exactly the provider version every stack requires, with hashes for every platform", () => {
    // Prepare
    const block =
      /provider "registry\.terraform\.io\/hashicorp\/aws" \{\n {2}version {5}= "([^"]+)"\n {2}constraints = "([^"]+)"\n {2}hashes = \[\n((?: {4}"[^"]+",\n)+) {2}\]\n\}/.exec(
        lock,
      );
    const hashes = (block?.[3] ?? "").trim().split(/,\s*/).filter(Boolean);
    // Assess
    for (const [stack, json] of Object.entries(tf)) {
      const required = (json.terraform as { required_providers: Record<string, { source: string; version: string }> })
        .required_providers;
      expect([stack, required]).toEqual([stack, { aws: { source: "aws", version: block?.[1] } }]);
    }
    expect(block?.[2]).toBe(block?.[1]);
    // The 14 platforms hashicorp/aws is published for: one h1: (the unpacked package) each,
    // and the registry's zh: list (SHA256SUMS: the 14 zips and the release's manifest JSON).
    expect(hashes.filter((h) => /^"h1:[A-Za-z0-9+/]{43}="$/.test(h))).toHaveLength(14);
    expect(hashes.filter((h) => /^"zh:[0-9a-f]{64}"$/.test(h))).toHaveLength(15);
    expect(hashes).toHaveLength(29);
  });
});

describe("synth refuses missing inputs", () => {
  it("a --manifest file that does not exist", () => {
    expect(() => synthesize({ env: "staging", outdir: join(dir, "x"), manifestFile: join(dir, "none.json") })).toThrow(
      /manifest .*none\.json is missing/,
    );
  });
  it("a manifest without its public key", () => {
    const options = synthOptionsForTests(false);
    expect(() =>
      synthesize({ ...options, env: "staging", outdir: join(dir, "y"), manifestKeyFile: join(dir, "none.jwk.json") }),
    ).toThrow(/manifest key .*none\.jwk\.json is missing/);
  });
  it.each(["staging", "prod"])("%s: a manifest without the runtime's sealed NATS key", (env) => {
    // Act / Assess: no host could give its enclave the connection that takes the leases.
    expect(() => synthesize({ ...synthOptionsForTests(false), env, outdir: join(dir, `no-key-${env}`) })).toThrow(
      `${env}: a release manifest needs the runtime's sealed NATS key stacks/config/release/${env}/runtime-nats-key.json (bin/vettid release runtime-nats-key): without it no host serves a vault`,
    );
  });
  it("a --runtime-nats-key file that does not exist", () => {
    const options = synthOptionsForTests(false);
    expect(() =>
      synthesize({ ...options, env: "dev", outdir: join(dir, "z"), runtimeNatsKeyFile: join(dir, "none.json") }),
    ).toThrow(/runtime NATS key .*none\.json is missing/);
  });
  it("a runtime NATS key of another environment, or not of the right shape", () => {
    // Prepare
    const options = synthOptionsForTests(false);
    const bad = join(dir, "bad-key.json");
    const record = JSON.parse(readFileSync(testRuntimeNatsKeyFile("staging"), "utf8")) as Record<string, unknown>;
    writeFileSync(bad, JSON.stringify({ ...record, signingPublicKey: "UABC", ciphertext: "not base64!", extra: 1 }));
    // Act / Assess
    expect(() =>
      synthesize({
        ...options,
        env: "prod",
        outdir: join(dir, "w"),
        runtimeNatsKeyFile: testRuntimeNatsKeyFile("staging"),
      }),
    ).toThrow(/environment must be prod/);
    expect(() => synthesize({ ...options, env: "staging", outdir: join(dir, "v"), runtimeNatsKeyFile: bad })).toThrow(
      "unknown field extra; signingPublicKey must be an account nkey (A…); ciphertext must be base64 of a KMS ciphertext (at most 4 KiB)",
    );
  });
  it("dev: a manifest without a runtime NATS key (its proxies may serve every vault without leases)", () => {
    expect(() =>
      synthesize({ ...synthOptionsForTests(false), env: "dev", outdir: join(dir, "dev-no-key") }),
    ).not.toThrow();
  });
});

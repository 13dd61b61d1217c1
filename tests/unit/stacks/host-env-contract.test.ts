/**
 * Contract between the vault-fleet stack and the vsock proxy: the environment a host's
 * proxy starts with — the env file the launch template's user data writes, plus the
 * `Environment=` lines of the proxy's systemd unit — must satisfy the proxy's own
 * settings schema (vsock-proxy/config.ts), for the REAL synthesized stacks of every
 * environment. Terraform references in the user data are resolved from the synthesized
 * output where the value is a literal there (bucket and log group names); values only
 * AWS knows (ARNs, the CDN domain) become a neutral stand-in that is valid wherever such
 * a value is, and the test pins which variables those are.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envConfig } from "../../../stacks/config";
import { REPO_ROOT, synthesize } from "../../../stacks/synthesize";
import { VAULT_HOST_METRICS_NAMESPACE } from "../../../stacks/vault-fleet";
import {
  HOST_ENV_PATH,
  hostIdFromImds,
  MANIFEST_KEY_PATH,
  NATS_CA_PATH,
  RUNTIME_NATS_KEY_PATH,
} from "../../../stacks/vault-fleet-user-data";
import { natsTunnelTarget, ProxyConfigSchema } from "../../../vsock-proxy/config";
import { synthOptionsForTests, testRuntimeNatsKeyFile } from "../../policy/synth-options";
import { loadSynth, type Synth } from "../../policy/terraform";

const ENVS = ["dev", "staging", "prod"] as const;
const PROXY_UNIT = join(REPO_ROOT, "ami/host/systemd/vettid-vsock-proxy.service");

/** Stands in for a value only AWS knows (an ARN, a CloudFront domain): a valid host, bucket and id. */
const UNRESOLVED = "unresolved.invalid";

/** What the instance metadata service answers for the instance id (IMDSv2), at boot. */
const INSTANCE_ID = "i-0123456789abcdef0";

/** Variables whose value holds a reference Terraform alone can resolve (pinned so none hides a format error). */
const UNRESOLVABLE = ["VETTID_MANIFEST_URL", "VETTID_NATS_CREDENTIALS_SECRET_ID"];

/** The launch template's user data as the host receives it (decoded from `base64encode("…")`). */
function hostUserData(synth: Synth): string {
  const templates = synth["vault-fleet"]?.resource?.aws_launch_template ?? {};
  const bodies = Object.values(templates);
  expect(bodies).toHaveLength(1);
  const raw = String(bodies[0]?.user_data);
  const call = /^\$\{base64encode\((".*")\)\}$/s.exec(raw);
  // A literal (no references) would have been encoded at synth time.
  return call?.[1] !== undefined ? (JSON.parse(call[1]) as string) : Buffer.from(raw, "base64").toString("utf8");
}

/** `${...}` → the literal it will hold when the synthesized output has it, else {@link UNRESOLVED}. */
function resolveReferences(text: string, synth: Synth): { text: string; unresolved: number } {
  let unresolved = 0;
  const literal = (stack: string, address: string): string | undefined => {
    const [type, name, attr] = address.split(".");
    const value = synth[stack]?.resource?.[type ?? ""]?.[name ?? ""]?.[attr ?? ""];
    return typeof value === "string" && !value.includes("${") ? value : undefined;
  };
  const out = text.replace(/\$\{([^}]*)\}/g, (_all, expr: string) => {
    const remote = /^data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.(.+)$/.exec(expr);
    let value: string | undefined;
    if (remote?.[1] !== undefined && remote[2] !== undefined) {
      const outputs = synth[remote[1]]?.output as Record<string, { value?: unknown }> | undefined;
      const ref = /^\$\{([^}]*)\}$/.exec(String(outputs?.[remote[2]]?.value ?? ""));
      value = ref?.[1] !== undefined ? literal(remote[1], ref[1]) : undefined;
    } else {
      value = literal("vault-fleet", expr);
    }
    if (value === undefined) unresolved++;
    return value ?? UNRESOLVED;
  });
  return { text: out, unresolved };
}

/** The body of the quoted heredoc `<<'TAG'` that follows `command` (quoted: the shell expands nothing). */
function heredoc(script: string, command: string, tag: string): string {
  const start = script.indexOf(`${command} <<'${tag}'\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const from = start + `${command} <<'${tag}'\n`.length;
  const end = script.indexOf(`\n${tag}\n`, from);
  expect(end).toBeGreaterThan(from);
  return script.slice(from, end);
}

/** KEY=VALUE lines (systemd EnvironmentFile syntax as written: no quotes, no continuation). */
function envLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    expect(eq).toBeGreaterThan(0);
    const name = line.slice(0, eq);
    expect(env[name]).toBeUndefined();
    env[name] = line.slice(eq + 1);
  }
  return env;
}

/** The proxy unit's `EnvironmentFile=` and its `Environment=` assignments. */
function proxyUnit(): { environmentFile: string | undefined; environment: Record<string, string> } {
  const lines = readFileSync(PROXY_UNIT, "utf8").split("\n");
  const environmentFile = lines.find((l) => l.startsWith("EnvironmentFile="))?.slice("EnvironmentFile=".length);
  const assignments = lines
    .filter((l) => l.startsWith("Environment="))
    .flatMap((l) => l.slice("Environment=".length).split(/\s+/).filter(Boolean));
  return { environmentFile, environment: envLines(assignments.join("\n")) };
}

describe("host environment contract (user data + proxy unit ↔ ProxyConfigSchema)", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-host-env-"));
  const hosts: Record<string, { script: string; env: Record<string, string>; unresolvedVars: string[] }> = {};
  const options = synthOptionsForTests(false);

  beforeAll(() => {
    // Prepare: the real stacks of each environment, synthesized as `npm run synth` does.
    const unit = proxyUnit();
    for (const env of ENVS) {
      synthesize({ ...options, env, outdir: join(dir, env), runtimeNatsKeyFile: testRuntimeNatsKeyFile(env) });
      const synth = loadSynth(join(dir, env));
      const script = hostUserData(synth);
      const fileEnv = envLines(heredoc(script, `cat > ${HOST_ENV_PATH}`, "ENV"));
      const unresolvedVars = Object.entries(fileEnv)
        .filter(([, v]) => resolveReferences(v, synth).unresolved > 0)
        .map(([k]) => k)
        .sort();
      const resolved = Object.fromEntries(
        Object.entries(fileEnv).map(([k, v]) => [k, resolveReferences(v, synth).text]),
      );
      // The script appends the host id it reads from the instance metadata (and the
      // instance ARN built from it) right after the file.
      const { accountId, region } = envConfig(env);
      const arnPrefix = `arn:aws:ec2:${region}:${accountId}:instance/`;
      const bootEnv: Record<string, string> = script.includes(`\nENV\n${hostIdFromImds(arnPrefix)}\n`)
        ? { VETTID_HOST_ID: INSTANCE_ID, VETTID_HOST_ARN: `${arnPrefix}${INSTANCE_ID}` }
        : {};
      // systemd: Environment= lines override the EnvironmentFile.
      hosts[env] = { script, env: { ...resolved, ...bootEnv, ...unit.environment }, unresolvedVars };
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the proxy unit reads the env file the user data writes and sets its socket", () => {
    const unit = proxyUnit();
    expect(unit.environmentFile).toBe(HOST_ENV_PATH);
    expect(unit.environment.VETTID_PROXY_SOCKET).toBe("/run/vettid/proxy.sock");
  });

  it.each(ENVS)("%s: only the ARN and the CDN domain are left to Terraform", (env) => {
    expect(hosts[env]?.unresolvedVars).toEqual(UNRESOLVABLE);
    expect(hosts[env]?.env.VETTID_BLOB_BUCKET).toBe(`vettid-${env}-sealed-state-${envConfig(env).accountId}`);
    expect(hosts[env]?.env.VETTID_LOG_GROUP).toBe(`/vettid/${env}/vault-host`);
  });

  it.each(ENVS)("%s: names the host registry: the edge's table, and the instance id read with IMDSv2", (env) => {
    const { accountId, region } = envConfig(env);
    const imds = hostIdFromImds(`arn:aws:ec2:${region}:${accountId}:instance/`);
    expect(hosts[env]?.env.VETTID_TABLE_NAME).toBe(`vettid-${env}`);
    expect(hosts[env]?.env.VETTID_HOST_ID).toBe(INSTANCE_ID);
    // The ARN IAM fills `ec2:SourceInstanceARN` with: the one heartbeat partition the host may write.
    expect(hosts[env]?.env.VETTID_HOST_ARN).toBe(`arn:aws:ec2:${region}:${accountId}:instance/${INSTANCE_ID}`);
    expect(imds).toContain("X-aws-ec2-metadata-token");
    expect(imds).toContain(`>> ${HOST_ENV_PATH}`);
    expect(() => hostIdFromImds("arn:aws:ec2:eu-central-1:1:instance/")).toThrow(/instance ARN prefix/);
  });

  it.each(ENVS)("%s: writes the manifest key the synth verified with, public and world-readable", (env) => {
    // Prepare
    const script = hosts[env]?.script ?? "";
    const expected = JSON.parse(readFileSync(options.manifestKeyFile, "utf8")) as Record<string, unknown>;
    // Act
    const written = JSON.parse(
      Buffer.from(heredoc(script, `base64 --decode > ${MANIFEST_KEY_PATH}`, "JWK"), "base64").toString("utf8"),
    ) as Record<string, unknown>;
    // Assess
    expect(hosts[env]?.env.VETTID_MANIFEST_KEY_FILE).toBe(MANIFEST_KEY_PATH);
    expect(written).toEqual(expected);
    expect(written.d).toBeUndefined();
    expect(script).toContain(`chown root:root ${MANIFEST_KEY_PATH}\nchmod 0644 ${MANIFEST_KEY_PATH}\n`);
    // The proxy runs as `vettid`: it must be able to enter /etc/vettid.
    expect(script).toContain("install -d -m 0750 -o root -g vettid /etc/vettid\n");
  });

  it.each(ENVS)("%s: reaches the NATS nodes over TLS first, trusting the private CA the user data writes", (env) => {
    // Prepare
    const script = hosts[env]?.script ?? "";
    // Act
    const urls = hosts[env]?.env.VETTID_NATS_URL?.split(",") ?? [];
    // Assess: one tls:// URL per node address, the CA file, TLS first (the nodes run handshake_first).
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).toMatch(/^tls:\/\/10\.\d+\.\d+\.10:4222$/);
    expect(hosts[env]?.env.VETTID_NATS_CA_FILE).toBe(NATS_CA_PATH);
    expect(hosts[env]?.env.VETTID_NATS_TLS_FIRST).toBe("true");
    expect(heredoc(script, `cat > ${NATS_CA_PATH}`, "PEM")).toMatch(
      /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-messaging\.outputs\.[\w-]*acmpca_certificate_authority_certificate[\w-]*certificate\}$/,
    );
    expect(script).toContain(`chown root:root ${NATS_CA_PATH}\nchmod 0644 ${NATS_CA_PATH}\n`);
  });

  it("dev: the proxy accepts the host environment completely", () => {
    // Act
    const result = ProxyConfigSchema.safeParse(hosts.dev?.env);
    // Assess
    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data).toEqual(
      expect.objectContaining({
        VETTID_ENV: "dev",
        VETTID_PROXY_VAULTS: ["*"],
        VETTID_AUTOSCALING_GROUP: "vettid-dev-vault-hosts",
      }),
    );
    expect(result.data?.VETTID_NATS_URL).toHaveLength(3);
    // The host names no KMS key: the enclave pins the sealing key in its measured configuration.
    expect(hosts.dev?.env).not.toHaveProperty("VETTID_KMS_KEY_ID");
    // The namespace the host role may publish to (its PutMetricData condition).
    expect(result.data?.VETTID_METRICS_NAMESPACE).toBe(VAULT_HOST_METRICS_NAMESPACE);
    expect(result.data?.VETTID_MANIFEST_URL).toMatch(/^https:\/\//);
  });

  // The proxy serves every vault (`*`) outside local / dev only where the enclave takes
  // the vault leases over its own NATS connection: the stacks give the hosts the NATS
  // tunnel to every node and the sealed runtime key of the release (decision 0076).
  it.each(["staging", "prod"] as const)("%s: the proxy accepts the host environment completely", (env) => {
    // Act
    const result = ProxyConfigSchema.safeParse(hosts[env]?.env);
    // Assess
    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data).toEqual(
      expect.objectContaining({
        VETTID_ENV: env,
        VETTID_PROXY_VAULTS: ["*"],
        VETTID_RUNTIME_NATS_KEY_FILE: RUNTIME_NATS_KEY_PATH,
      }),
    );
    expect(hosts[env]?.env).not.toHaveProperty("VETTID_KMS_TUNNEL_TARGET");
  });

  it.each(ENVS)("%s: tunnels the enclave's own NATS connection to every node's client port", (env) => {
    // Act
    const targets = natsTunnelTarget(ProxyConfigSchema.parse(hosts[env]?.env));
    const urls = hosts[env]?.env.VETTID_NATS_URL?.split(",") ?? [];
    // Assess: the same nodes the proxy itself reaches, as host:port.
    expect(targets?.targets.map((t) => `tls://${t.host}:${t.port}`)).toEqual(urls);
  });

  it.each(ENVS)("%s: writes the release's sealed runtime NATS key, readable by the proxy's group only", (env) => {
    // Prepare
    const script = hosts[env]?.script ?? "";
    const committed = JSON.parse(readFileSync(testRuntimeNatsKeyFile(env), "utf8")) as { ciphertext: string };
    // Act
    const written = heredoc(script, `cat > ${RUNTIME_NATS_KEY_PATH}`, "SEALED");
    // Assess
    expect(written).toBe(committed.ciphertext);
    expect(script).toContain(`chown root:vettid ${RUNTIME_NATS_KEY_PATH}\nchmod 0640 ${RUNTIME_NATS_KEY_PATH}\n`);
    // Written before the proxy starts.
    expect(script.indexOf(RUNTIME_NATS_KEY_PATH)).toBeLessThan(
      script.indexOf("systemctl enable --now vettid-vsock-proxy"),
    );
  });
});

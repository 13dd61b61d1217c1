import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildEnclaveBundle, bundleEnclave, REPO_ROOT } from "../../../ami/build-enclave-bundle";
import { AWS_NITRO_ROOT_PEM } from "../../../lib/attestation";

/** A dev measured configuration (what an enclave image carries), written to `dir`. */
function devMeasuredConfig(dir: string): string {
  const path = join(dir, "runtime-config.json");
  writeFileSync(
    path,
    JSON.stringify({
      environment: "dev",
      kms: {
        region: "eu-central-1",
        endpointName: "kms.eu-central-1.amazonaws.com",
        keyArn: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      },
      trustRoots: "public",
      manifestKey: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
    }),
  );
  return path;
}

describe("enclave runtime bundle", () => {
  const dirs = [mkdtempSync(join(tmpdir(), "vettid-enclave-a-")), mkdtempSync(join(tmpdir(), "vettid-enclave-b-"))];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("two builds of the same commit give the same bytes and the same SHA-384", async () => {
    // Act: two independent builds into different directories.
    const first = await buildEnclaveBundle(REPO_ROOT, dirs[0]);
    const second = await buildEnclaveBundle(REPO_ROOT, dirs[1]);
    // Assess
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect(second.sha384).toBe(first.sha384);
    expect(first.sha384).toMatch(/^[0-9a-f]{96}$/);
  });

  it("writes the bundle and a digest file that matches it", async () => {
    const built = await buildEnclaveBundle(REPO_ROOT, dirs[0]);
    const bytes = readFileSync(join(dirs[0] as string, "vault-runtime.js"));
    const digest = readFileSync(join(dirs[0] as string, "vault-runtime.sha384"), "utf8").trim();
    expect(createHash("sha384").update(bytes).digest("hex")).toBe(digest);
    expect(digest).toBe(built.sha384);
  });

  it("holds no absolute path, timestamp-like build stamp or source map", async () => {
    const text = Buffer.from((await buildEnclaveBundle(REPO_ROOT, dirs[1])).bytes).toString("utf8");
    expect(text).not.toContain(REPO_ROOT);
    expect(text).not.toContain(tmpdir());
    expect(text).not.toContain("sourceMappingURL");
    expect(text).toContain("// vault-enclave/main.ts");
  });

  it("runs: states what it will serve and exits unavailable; refuses bad configuration in one line", async () => {
    // Prepare
    const built = await buildEnclaveBundle(REPO_ROOT, dirs[1]);
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [built.path], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });
    // Act
    const measured = devMeasuredConfig(dirs[1] as string);
    const ok = run({ VETTID_ENV: "dev", VETTID_RUNTIME_CONFIG: measured });
    const bad = run({ VETTID_ENV: "dev", VETTID_PROXY_TRANSPORT: "unix", VETTID_RUNTIME_CONFIG: measured });
    const otherEnvironment = run({ VETTID_ENV: "local", VETTID_RUNTIME_CONFIG: measured });
    const movedInProd = run({ VETTID_ENV: "prod", VETTID_RUNTIME_CONFIG: measured });
    const missing = run({ VETTID_ENV: "dev" });
    // Assess
    expect(ok.status).toBe(69);
    expect(ok.stderr).toContain("configuration valid");
    expect(ok.stderr).toContain("not serving: the NSM or the proxy link is missing");
    expect(ok.stderr).toContain("via kms.eu-central-1.amazonaws.com (public roots)");
    expect(otherEnvironment.status).toBe(78);
    expect(otherEnvironment.stderr).toContain("measured configuration is for dev, not local");
    expect(movedInProd.status).toBe(78);
    expect(movedInProd.stderr).toContain(
      "VETTID_RUNTIME_CONFIG may name another file than /app/runtime-config.json only in local or dev",
    );
    expect(missing.status).toBe(78);
    expect(missing.stderr).toContain("/app/runtime-config.json");
    expect(bad.status).toBe(78);
    expect(bad.stderr.trim().split("\n")).toEqual([
      "error: invalid configuration: VETTID_PROXY_SOCKET is required when VETTID_PROXY_TRANSPORT=unix",
    ]);
  });

  it("carries the KMS client over TLS, and no simulator code or development certificate", async () => {
    // Act
    const bundle = await bundleEnclave(REPO_ROOT);
    const text = Buffer.from(bundle.bytes).toString("utf8");

    // Assess
    expect(bundle.inputs.filter((input) => input.startsWith("local/") || input.startsWith("tests/"))).toEqual([]);
    expect(bundle.inputs).toContain("vault-enclave/kms/tunnel-agent.ts");
    expect(bundle.inputs.some((input) => input.includes("@aws-sdk/client-kms"))).toBe(true);
    const certificates = text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s\\n]+?-----END CERTIFICATE-----/g) ?? [];
    const nitroRootBody = AWS_NITRO_ROOT_PEM.replace(/-----[A-Z ]+-----|\s/g, "");
    for (const pem of certificates) {
      expect(pem.replace(/-----[A-Z ]+-----|\s|\\n/g, "")).toBe(nitroRootBody);
    }
    expect(text).not.toMatch(/vettid-dev|nsm-sim|SimulatedNsm|createDevTls/);
  });
});

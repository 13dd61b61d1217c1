import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProxyBundle, PROXY_BUNDLE, REPO_ROOT } from "../../../ami/build-proxy-bundle";
import type { Bundle } from "../../../ami/deterministic-bundle";

describe("vsock proxy bundle", () => {
  const dirs = [mkdtempSync(join(tmpdir(), "vettid-proxy-a-")), mkdtempSync(join(tmpdir(), "vettid-proxy-b-"))];
  let first: Bundle & { path: string };
  let second: Bundle & { path: string };

  beforeAll(async () => {
    // Act: two independent builds into different directories.
    first = await buildProxyBundle(REPO_ROOT, dirs[0]);
    second = await buildProxyBundle(REPO_ROOT, dirs[1]);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("is built from vsock-proxy/main.ts for the host's Node line, where the AMI build expects it", () => {
    const packer = readFileSync(join(REPO_ROOT, "ami/packer/vettid.pkr.hcl"), "utf8");
    expect(PROXY_BUNDLE.entryPoint).toBe("vsock-proxy/main.ts");
    expect(packer).toContain(`default     = "${PROXY_BUNDLE.outfile}"`);
    // The target follows the Node.js package the AMI installs.
    expect(packer).toContain(`nodejs${PROXY_BUNDLE.target.replace("node", "")} `);
  });

  it("two builds of the same commit give the same bytes and the same SHA-384", () => {
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect(second.sha384).toBe(first.sha384);
    expect(first.sha384).toMatch(/^[0-9a-f]{96}$/);
  });

  it("writes the bundle and a digest file that matches it", () => {
    const bytes = readFileSync(join(dirs[0] as string, "vsock-proxy.js"));
    const digest = readFileSync(join(dirs[0] as string, "vsock-proxy.sha384"), "utf8").trim();
    expect(createHash("sha384").update(bytes).digest("hex")).toBe(digest);
    expect(digest).toBe(first.sha384);
  });

  it("contains only the proxy, lib/ and npm packages: nothing from local/ (no nsm-sim, no stand-ins) or tests/", () => {
    // Assess: the esbuild metafile lists every source file in the bundle.
    const ours = first.inputs.filter((i) => !i.startsWith("node_modules/"));
    expect(ours).toContain("vsock-proxy/main.ts");
    expect(ours.filter((i) => !i.startsWith("vsock-proxy/") && !i.startsWith("lib/"))).toEqual([]);
    expect(first.inputs.filter((i) => /(^|\/)(local|tests)\//.test(i) || /nsm-sim|dynalite/i.test(i))).toEqual([]);
    const text = Buffer.from(first.bytes).toString("utf8");
    expect(text).not.toContain("// local/");
    expect(text).not.toContain(REPO_ROOT);
    expect(text).not.toContain("sourceMappingURL");
  });

  it("holds no KMS client: the host forwards the enclave's TLS bytes and composes no KMS answer", () => {
    // Assess
    expect(first.inputs.filter((i) => i.includes("@aws-sdk/client-kms"))).toEqual([]);
    expect(first.inputs).toContain("vsock-proxy/channels/tunnel.ts");
  });

  it("runs: refuses a missing configuration in one line with exit 78", () => {
    // Act
    const run = spawnSync(process.execPath, [first.path], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "" },
    });
    // Assess
    expect(run.status).toBe(78);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: invalid configuration: VETTID_ENV is required; /);
    expect(lines[0]).toContain("VETTID_MANIFEST_KEY_FILE is required");
  });
});

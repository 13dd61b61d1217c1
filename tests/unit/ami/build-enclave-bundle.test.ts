import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildEnclaveBundle, REPO_ROOT } from "../../../ami/build-enclave-bundle";

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
    const ok = run({ VETTID_ENV: "dev" });
    const bad = run({ VETTID_ENV: "dev", VETTID_PROXY_TRANSPORT: "unix" });
    // Assess
    expect(ok.status).toBe(69);
    expect(ok.stderr).toContain("configuration valid");
    expect(ok.stderr).toContain("not serving yet");
    expect(bad.status).toBe(78);
    expect(bad.stderr.trim().split("\n")).toEqual([
      "error: invalid configuration: VETTID_PROXY_SOCKET is required when VETTID_PROXY_TRANSPORT=unix",
    ]);
  });
});

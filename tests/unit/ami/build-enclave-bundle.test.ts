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
});

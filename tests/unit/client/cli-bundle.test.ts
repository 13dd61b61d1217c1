/**
 * The CLI bundle (`npm run build:cli`, ami/build-cli-bundle.ts) is what bin/vettid runs
 * for a reviewer or an operator who installed production dependencies only: here it
 * runs from a directory holding bin/vettid and dist/cli/vettid.js and nothing else (no
 * node_modules, no TypeScript sources), with plain Node.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCliBundle, bundleCli } from "../../../ami/build-cli-bundle";

const ROOT = join(__dirname, "..", "..", "..");
const MANIFEST = join(ROOT, "stacks", "config", "dev-manifest.json");
const MANIFEST_KEY = join(ROOT, "stacks", "config", "dev-release-keys.json");
const FIXTURE = join(ROOT, "tests", "fixtures", "attestation", "cape-js-2022-09-15.b64");

describe("the CLI bundle, with no node_modules", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-cli-bundle-"));
  const run = (...argv: string[]) =>
    spawnSync(process.execPath, [join(dir, "bin", "vettid"), ...argv], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: dir },
    });

  beforeAll(async () => {
    mkdirSync(join(dir, "bin"));
    copyFileSync(join(ROOT, "bin", "vettid"), join(dir, "bin", "vettid"));
    await buildCliBundle(ROOT, join(dir, "dist", "cli"));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints its help and version", () => {
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: vettid <command>");
    expect(help.stdout).toContain("verify-attestation");
    expect(run("--version").status).toBe(0);
  });

  it("verifies a signed manifest, and refuses a tampered one", () => {
    const ok = run("verify-manifest", MANIFEST, "--key", MANIFEST_KEY, "--json");
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, serial: 1 });
    const tampered = join(dir, "tampered.json");
    const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as { payload: string };
    const flipped = manifest.payload.endsWith("A") ? "B" : "A";
    writeFileSync(tampered, JSON.stringify({ ...manifest, payload: `${manifest.payload.slice(0, -1)}${flipped}` }));
    expect(run("verify-manifest", tampered, "--key", MANIFEST_KEY).status).toBe(1);
  });

  it("verifies a genuine AWS attestation document against the pinned root", () => {
    const r = run("verify-attestation", FIXTURE, "--time", "2022-09-15T17:44:00Z", "--json");
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true });
    expect(r.status).toBe(0);
  });

  it("builds the same bytes twice (a reviewer can reproduce its digest)", async () => {
    const [a, b] = await Promise.all([bundleCli(ROOT), bundleCli(ROOT)]);
    expect(a.sha384).toBe(b.sha384);
    expect(a.inputs.some((input) => input.includes("node_modules/tsx"))).toBe(false);
  });
});

describe("bin/vettid with neither tsx nor a bundle", () => {
  it("says how to get one, in one line, and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "vettid-cli-none-"));
    try {
      mkdirSync(join(dir, "bin"));
      copyFileSync(join(ROOT, "bin", "vettid"), join(dir, "bin", "vettid"));
      const r = spawnSync(process.execPath, [join(dir, "bin", "vettid"), "--help"], { cwd: dir, encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("npm run build:cli");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

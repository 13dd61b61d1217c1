/**
 * bin/vettid started by a Node older than 22 (`env node` finding an older Node first on
 * PATH) hands over to the project's node_modules/.bin/node, or says how to get one.
 * The older Node is this Node with `process.versions.node` reading 20.20.2 (a preload),
 * and the project's Node is a stand-in script, so the hand-over itself is what is seen.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO_ROOT = join(__dirname, "..", "..", "..");

describe("bin/vettid on a Node older than 22", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-bin-node-"));
  const preload = join(dir, "node-20.js");
  writeFileSync(
    preload,
    'Object.defineProperty(process, "versions", { value: { ...process.versions, node: "20.20.2" } });\n',
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A checkout holding bin/vettid and, when given, node_modules/.bin/node with that body. */
  function checkout(name: string, projectNode?: string): string {
    const root = join(dir, name);
    mkdirSync(join(root, "bin"), { recursive: true });
    copyFileSync(join(REPO_ROOT, "bin", "vettid"), join(root, "bin", "vettid"));
    if (projectNode !== undefined) {
      mkdirSync(join(root, "node_modules", ".bin"), { recursive: true });
      writeFileSync(join(root, "node_modules", ".bin", "node"), `#!/bin/sh\n${projectNode}\n`);
      chmodSync(join(root, "node_modules", ".bin", "node"), 0o755);
    }
    return root;
  }

  function runOld(root: string, ...argv: string[]) {
    return spawnSync(process.execPath, ["--require", preload, join(root, "bin", "vettid"), ...argv], {
      encoding: "utf8",
    });
  }

  it("runs itself again with the project's Node, passing Node's options and every argument, and exits as it does", () => {
    // Prepare
    const root = checkout("with-node", `printf '%s\\n' "$@"; echo "to stderr" >&2; exit 7`);

    // Act
    const run = runOld(root, "vault", "get", "bank account", "--json");

    // Assess
    expect(run.status).toBe(7);
    expect(run.stdout.split("\n")).toEqual([
      "--require",
      preload,
      join(root, "bin", "vettid"),
      "vault",
      "get",
      "bank account",
      "--json",
      "",
    ]);
    expect(run.stderr).toBe("to stderr\n");
  });

  it("ends by the same signal as the project's Node", () => {
    // Prepare
    const root = checkout("killed", "kill -TERM $$");

    // Act
    const run = runOld(root, "status");

    // Assess
    expect(run.status).toBeNull();
    expect(run.signal).toBe("SIGTERM");
  });

  it("exits 1 and names `npm ci` when the checkout has no Node of its own", () => {
    // Prepare
    const root = checkout("without-node");

    // Act
    const run = runOld(root, "status");

    // Assess
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("vettid: needs Node 22 or newer, but this is Node 20.20.2");
    expect(run.stderr).toContain(`${join(root, "node_modules", ".bin", "node")} is missing`);
    expect(run.stderr).toContain(`Run \`npm ci\` in ${root}`);
  });

  it("does not hand over on Node 22 or newer: it loads the CLI in its own process", () => {
    // Prepare
    const root = checkout("on-22", "echo handed over; exit 7");

    // Act: the copy has neither tsx nor the CLI bundle beside it, so it says so itself
    const run = spawnSync(process.execPath, [join(root, "bin", "vettid"), "status"], { encoding: "utf8" });

    // Assess
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(22);
    expect(run.stdout).not.toContain("handed over");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("neither tsx (a dev dependency) nor the CLI bundle");
  });
});

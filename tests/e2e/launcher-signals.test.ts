/**
 * `npm start -- --serve` as a process, the way a person or CI runs it: SIGINT and
 * SIGTERM sent to the npm process itself (not the launcher, not the group) stop every
 * child; a SIGKILLed npm still leaves nothing behind; a second `npm start` on the
 * same state directory refuses with one line and leaves the live one's files alone;
 * a stale lock is taken over; a wrong NATS_SERVER_BIN is an error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STATE_LOCK_FILE } from "../../local/launcher/state-lock";
import { alive, launcherStderrLines, npmStart, waitUntilGone, waitUntilReady } from "./support/npm-start";

describe("npm start -- --serve as a process", () => {
  const state = mkdtempSync(join(tmpdir(), "vettid-signals-"));
  afterAll(() => rmSync(state, { recursive: true, force: true }));

  it.each(["SIGINT", "SIGTERM"] as const)("%s to the npm process stops every child and exits 0", async (signal) => {
    // Prepare
    const stateDir = join(state, signal);
    const run = npmStart(["--serve", "--state-dir", stateDir]);
    try {
      const endpoints = await waitUntilReady(run, stateDir);
      const pids = Object.values(endpoints.pids);
      // Act
      run.child.kill(signal);
      const code = await run.exited();
      // Assess: the launcher stopped its children before it exited, so npm's exit means they are gone
      expect(code).toBe(0);
      expect(Object.keys(endpoints.pids).sort()).toEqual(
        ["launcher", "nats", "dynamodb", "secretsManager", "s3", "kms", "proxy", "runtime"].sort(),
      );
      for (const pid of pids) expect(alive(pid)).toBe(false);
      expect(existsSync(join(stateDir, "endpoints.json"))).toBe(false);
      expect(existsSync(join(stateDir, STATE_LOCK_FILE))).toBe(false);
      expect(run.output()).toContain("stopped every child process");
      expect(run.output()).toMatch(/nats-server \S*nats-server v\d+\.\d+\.\d+/);
    } finally {
      if (run.child.exitCode === null) run.child.kill("SIGKILL");
    }
  });

  it("SIGKILL to the npm process: the launcher sees its parent gone and stops every child", async () => {
    // Prepare
    const stateDir = join(state, "sigkill");
    const run = npmStart(["--serve", "--state-dir", stateDir]);
    const endpoints = await waitUntilReady(run, stateDir);
    // Act
    run.child.kill("SIGKILL");
    // Assess
    await expect(waitUntilGone(Object.values(endpoints.pids))).resolves.toBe(true);
    expect(existsSync(join(stateDir, STATE_LOCK_FILE))).toBe(false);
  });

  it("a second npm start on the same state directory refuses with one line and touches nothing", async () => {
    // Prepare
    const stateDir = join(state, "second");
    const first = npmStart(["--serve", "--state-dir", stateDir]);
    try {
      const endpoints = await waitUntilReady(first, stateDir);
      const published = readFileSync(join(stateDir, "endpoints.json"), "utf8");
      const creds = readFileSync(join(stateDir, "host-user.creds"), "utf8");
      // Act
      const second = npmStart(["--serve", "--state-dir", stateDir]);
      const code = await second.exited();
      // Assess: one line naming the live launcher; its files and processes as they were
      const lines = launcherStderrLines(second);
      expect(code).not.toBe(0);
      expect(lines).toEqual([
        `error: another launcher (pid ${endpoints.pids.launcher}) is running on ${stateDir}; stop it first (Ctrl-C there, or kill -TERM ${endpoints.pids.launcher}), or use another --state-dir`,
      ]);
      expect(readFileSync(join(stateDir, "endpoints.json"), "utf8")).toBe(published);
      expect(readFileSync(join(stateDir, "host-user.creds"), "utf8")).toBe(creds);
      expect(existsSync(endpoints.proxySocket)).toBe(true);
      for (const pid of Object.values(endpoints.pids)) expect(alive(pid)).toBe(true);
      expect((await fetch(endpoints.proxyHealth)).status).toBe(200);
    } finally {
      first.child.kill("SIGTERM");
      await first.exited();
    }
  });

  it("takes over a stale lock left by a launcher that is gone", async () => {
    // Prepare: the pid of a process that has exited
    const stateDir = join(state, "stale");
    const dead = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, STATE_LOCK_FILE), `${dead}\n`);
    const run = npmStart(["--serve", "--state-dir", stateDir]);
    try {
      // Act
      const endpoints = await waitUntilReady(run, stateDir);
      // Assess
      expect(readFileSync(join(stateDir, STATE_LOCK_FILE), "utf8")).toBe(`${endpoints.pids.launcher}\n`);
    } finally {
      run.child.kill("SIGTERM");
      await run.exited();
    }
  });

  it.each([
    ["a missing binary", "/nonexistent/nats-server", /NATS_SERVER_BIN: no such file/],
    ["a binary that is not nats-server", "/bin/true", /is not a usable nats-server: `--version` printed "true/],
  ])("refuses NATS_SERVER_BIN set to %s, with one line", async (_what, binary, message) => {
    // Act
    const run = npmStart(["--serve", "--state-dir", join(state, "bin")], { NATS_SERVER_BIN: binary });
    const code = await run.exited();
    // Assess
    const lines = launcherStderrLines(run);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toContain(binary);
  });
});

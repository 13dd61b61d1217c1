/**
 * The launcher supervises (`npm start -- --serve`): each child process of the
 * topology, SIGKILLed in turn, is reported and restarted with its state; afterwards
 * the device's `bin/vettid vault` commands work and read every item stored before
 * the kill, and `endpoints.json` lists the new pid.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive, npmStart, type PublishedEndpoints, vettid, waitFor, waitUntilReady } from "./support/npm-start";

const PIN = "482915";

/** The children of a `--serve` topology: their key in `endpoints.json`'s `pids` and the supervisor's name for them. */
const CHILDREN = [
  ["runtime", "vault runtime"],
  ["proxy", "vsock proxy"],
  ["nats", "nats-server"],
] as const;

describe("npm start -- --serve supervises its children", () => {
  const state = mkdtempSync(join(tmpdir(), "vettid-supervise-"));
  const stateDir = join(state, "local");
  const device = join(state, "device");
  const endpointsPath = join(stateDir, "endpoints.json");
  const env = { VETTID_ENDPOINTS: endpointsPath };
  const run = npmStart(["--serve", "--state-dir", stateDir]);
  const stored = new Map<string, string>();
  afterAll(async () => {
    if (run.child.exitCode === null) {
      run.child.kill("SIGTERM");
      await run.exited();
    }
    rmSync(state, { recursive: true, force: true });
  });
  const published = () => JSON.parse(readFileSync(endpointsPath, "utf8")) as PublishedEndpoints;

  async function put(name: string, value: string): Promise<void> {
    const result = await vettid(["vault", "put", name, "--value", value, "--pin", PIN, "--state", device], env);
    expect(result).toMatchObject({ code: 0 });
    stored.set(name, value);
  }

  beforeAll(async () => {
    await waitUntilReady(run, stateDir);
    const invite = await vettid(["admin", "invite"], env);
    expect((await vettid(["enroll", "--invite", invite.stdout.trim(), "--state", device], env)).code).toBe(0);
    expect((await vettid(["vault", "init", "--pin", PIN, "--state", device], env)).code).toBe(0);
    await put("before-any-kill", "first");
  });

  it.each(CHILDREN)(
    "SIGKILL of the %s: reported, restarted with its state, the device reads what it stored",
    async (key, name) => {
      // Prepare
      const before = published().pids;
      const victim = before[key] as number;
      await put(`before-${key}`, `stored before the ${name} was killed`);
      // Act
      process.kill(victim, "SIGKILL");
      const report = await waitFor(
        () => new RegExp(`supervisor: ${name} restarted as pid (\\d+)(.*)`).exec(run.output()) ?? undefined,
        `the ${name}'s restart report`,
      );
      const after = published().pids;
      const items: Record<string, string> = {};
      for (const item of stored.keys()) {
        const got = await vettid(["vault", "get", item, "--pin", PIN, "--state", device], env);
        items[item] = got.code === 0 ? got.stdout.trim() : `exit ${got.code}: ${got.stderr.trim()}`;
      }
      // Assess: the exit was reported, the new pid published, the others untouched
      expect(run.output()).toContain(
        `supervisor: ${name} (pid ${victim}) exited (SIGKILL); restarting it with its state (restart 1)`,
      );
      expect(report[2]).toBe("");
      expect(Number(report[1])).toBe(after[key]);
      expect(after[key]).not.toBe(victim);
      expect(alive(victim)).toBe(false);
      expect(alive(after[key] as number)).toBe(true);
      for (const [other] of CHILDREN) if (other !== key) expect(after[other]).toBe(before[other]);
      // Assess: every item acknowledged before the kill is there
      expect(items).toEqual(Object.fromEntries(stored));
    },
  );

  it("stops every child, restarted ones included, on SIGTERM to npm", async () => {
    // Prepare
    const pids = Object.values(published().pids);
    // Act
    run.child.kill("SIGTERM");
    const code = await run.exited();
    // Assess
    expect(code).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

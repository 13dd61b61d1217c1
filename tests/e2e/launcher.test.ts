import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect, credsAuthenticator } from "@nats-io/transport-node";

/**
 * Drives the local launcher as a new user would: `npm start -- --serve`, then
 * `bin/vettid admin invite` and `bin/vettid enroll`, then SIGTERM; afterwards no
 * process of it remains and none of its ports is bound.
 */

const root = resolve(__dirname, "..", "..");
const vettid = join(root, "bin", "vettid");

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(vettid, args, { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Runs `npm start` (the journey) to its end; stdout and stderr together. */
function npmStart(stateDir: string, environment: string): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn("npm", ["start", "--", "--state-dir", stateDir], {
      cwd: root,
      env: { ...process.env, VETTID_ENV: environment },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.once("exit", (code) => done({ code, out }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null) done(child.exitCode);
    else child.once("exit", (code) => done(code));
  });
}

describe("the local launcher, as a new user drives it", () => {
  const state = mkdtempSync(join(tmpdir(), "vettid-launcher-"));
  afterAll(() => rmSync(state, { recursive: true, force: true }));

  test("npm start -- --serve, admin invite, enroll, used code refused, SIGTERM leaves nothing behind", async () => {
    // Prepare: start the topology
    const stateDir = join(state, "local");
    const launcher = spawn("npm", ["start", "--", "--serve", "--state-dir", stateDir], {
      cwd: root,
      env: { ...process.env, VETTID_ENV: "local" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    launcher.stdout?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    launcher.stderr?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const endpointsPath = join(stateDir, "endpoints.json");
    try {
      const endpoints = await waitFor(() => {
        if (launcher.exitCode !== null) throw new Error(`launcher exited early:\n${output}`);
        return existsSync(endpointsPath) && output.includes("ready:")
          ? (JSON.parse(readFileSync(endpointsPath, "utf8")) as Record<string, unknown>)
          : undefined;
      }, "endpoints.json");
      const env = { VETTID_ENDPOINTS: endpointsPath };
      const rest = String(endpoints.rest);

      // Act: the commands of DESIGN.md §9
      const invite = await run(["admin", "invite", "--api", rest], env);
      const code = invite.stdout.trim();
      const device1 = join(state, "device1");
      const enroll = await run(["enroll", "--api", rest, "--invite", code, "--state", device1], env);
      const reuse = await run(["enroll", "--api", rest, "--invite", code, "--state", join(state, "device2")], env);
      const usage = await run(["enroll", "--api", rest, "--state", join(state, "device3")], env);
      const creds = readFileSync(join(device1, "nats.creds"));
      const device = JSON.parse(readFileSync(join(device1, "device.json"), "utf8")) as {
        subjects: { inboxPrefix: string };
      };
      const nc = await connect({
        servers: String(endpoints.nats),
        authenticator: credsAuthenticator(creds),
        inboxPrefix: device.subjects.inboxPrefix,
      });
      await nc.close();
      const proxyHealth = await fetch(String(endpoints.proxyHealth));
      const proxyReport = (await proxyHealth.json()) as { status: string; enclaves: { attested: number } };
      const servedManifest = await (await fetch(`${rest}/v1/pcr-manifest`)).text();

      // Assess the commands
      expect(output).toContain("dev only");
      expect(invite.code).toBe(0);
      expect(invite.stdout).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\n$/);
      expect(enroll.code).toBe(0);
      expect(creds.toString()).toMatch(/^-----BEGIN NATS USER JWT-----\n[^\n]+\n------END NATS USER JWT------\n/);
      expect(creds.toString()).toContain("-----BEGIN USER NKEY SEED-----\nSU");
      expect(reuse.code).toBe(1);
      expect(reuse.stderr.trim().split("\n")).toHaveLength(1);
      expect(reuse.stderr).toContain("INVITATION_USED");
      expect(usage.code).toBe(2);
      // Assess the enclave side: the proxy serves the attested vault runtime; the edge serves the dev manifest
      expect(proxyHealth.status).toBe(200);
      expect(proxyReport.status).toBe("ok");
      expect(proxyReport.enclaves.attested).toBe(1);
      expect(servedManifest.trim()).toBe(readFileSync(String(endpoints.manifest), "utf8").trim());
      for (const file of ["manifestKey", "devRoot", "manifest", "proxySocket"]) {
        expect(existsSync(String(endpoints[file]))).toBe(true);
      }
      expect(String(endpoints.stateDir)).toBe(stateDir);

      // Act: stop it
      const pids = endpoints.pids as { launcher: number; nats: number; proxy: number; runtime: number };
      const ports = ["rest", "nats", "dynamodb", "secretsManager", "kms", "s3", "proxyHealth"].map((k) =>
        Number(new URL(String(endpoints[k])).port),
      );
      // SIGTERM to the launcher itself (launcher-signals.test.ts sends SIGINT and SIGTERM to the npm process)
      process.kill(pids.launcher, "SIGTERM");
      const exitCode = await exited(launcher);
      // Assess: nothing left
      expect(exitCode).toBe(0);
      expect(alive(pids.launcher)).toBe(false);
      expect(alive(pids.nats)).toBe(false);
      expect(alive(pids.proxy)).toBe(false);
      expect(alive(pids.runtime)).toBe(false);
      expect(existsSync(String(endpoints.proxySocket))).toBe(false);
      for (const port of ports) expect(await portOpen(port)).toBe(false);
      expect(existsSync(endpointsPath)).toBe(false);
    } finally {
      if (launcher.exitCode === null) launcher.kill("SIGKILL");
    }
  });

  test("npm start runs the journey and exits 0", async () => {
    // Act
    const result = await npmStart(join(state, "journey"), "local");
    // Assess
    expect(result.out).toContain("journey passed");
    expect(result.out).toContain("permissions violation");
    expect(result.out).toContain("✓ the proxy refuses an enclave whose PCRs are not in the manifest");
    expect(result.out).toContain("✓ device attests the enclave");
    expect(result.out).toContain("✓ vault.init");
    expect(result.out).toContain("KMS connection verified inside the enclave side: TLSv1");
    expect(result.out).toContain("✓ identity.sign");
    expect(result.out).toContain("✓ a wrong PIN is refused and counted");
    expect(result.out).toContain("✓ the sealed audit log shows every security event of the run in order");
    expect(result.out).toContain("✓ a second device joins by pairing");
    expect(result.out).toContain("✓ the second device catches up with the first device's changes");
    expect(result.out).toContain("✓ a second person's vault is isolated");
    expect(result.code).toBe(0);
  });

  test("the launcher refuses production configuration", async () => {
    const result = await npmStart(join(state, "prod"), "prod");
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/dev-only and refuses to run with VETTID_ENV=prod/);
  });
});

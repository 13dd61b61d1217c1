/**
 * The launcher supervises (`npm start -- --serve`): each child process of the
 * topology — nats-server, the four AWS stand-ins, the vsock proxy, the vault
 * runtime — SIGKILLed in turn, is reported and restarted with its state; afterwards
 * the device's `bin/vettid` commands work and read every item stored before the kill,
 * the edge's records and secrets are unchanged, and `endpoints.json` lists the new pid.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { LOCAL_SECRET_IDS } from "../../local/launcher/edge";
import { alive, npmStart, type PublishedEndpoints, vettid, waitFor, waitUntilReady } from "./support/npm-start";

const PIN = "482915";

/**
 * The children of a `--serve` topology: their key in `endpoints.json`'s `pids` and the
 * supervisor's name for them. The KMS stand-in comes before the runtime: the runtime
 * restarted after it must unseal every vault with keys the stand-in read back from disk.
 */
const CHILDREN = [
  ["dynamodb", "dynalite"],
  ["secretsManager", "Secrets Manager stand-in"],
  ["s3", "S3 stand-in"],
  ["kms", "KMS stand-in"],
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
  let invitations: unknown;
  let secrets: Record<string, string | undefined>;
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

  /** Every stored item as the device reads it now (or how reading it failed). */
  async function items(): Promise<Record<string, string>> {
    const read: Record<string, string> = {};
    for (const item of stored.keys()) {
      const got = await vettid(["vault", "get", item, "--pin", PIN, "--state", device], env);
      read[item] = got.code === 0 ? got.stdout.trim() : `exit ${got.code}: ${got.stderr.trim()}`;
    }
    return read;
  }

  /** The edge's invitations as the operator lists them (dynalite's records). */
  async function listInvitations(): Promise<unknown> {
    const listed = await vettid(["admin", "invitations", "list", "--json"], env);
    return listed.code === 0 ? JSON.parse(listed.stdout) : `exit ${listed.code}: ${listed.stderr.trim()}`;
  }

  /** The signing secrets as the Secrets Manager stand-in answers them now (the edge caches its reads). */
  async function readSecrets(): Promise<Record<string, string | undefined>> {
    const client = new SecretsManagerClient({
      endpoint: published().secretsManager as string,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    try {
      const read: Record<string, string | undefined> = {};
      for (const id of Object.values(LOCAL_SECRET_IDS)) {
        read[id] = (await client.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
      }
      return read;
    } finally {
      client.destroy();
    }
  }

  /** The pid of the `count`-th restart report of `name` (waits for it). */
  async function restartReport(name: string, count: number): Promise<{ pid: number; rest: string }> {
    const pattern = new RegExp(`supervisor: ${name} restarted as pid (\\d+)(.*)`, "g");
    const match = await waitFor(() => [...run.output().matchAll(pattern)][count - 1], `the ${name}'s restart report`);
    return { pid: Number(match[1]), rest: match[2] ?? "" };
  }

  beforeAll(async () => {
    await waitUntilReady(run, stateDir);
    const invite = await vettid(["admin", "invite"], env);
    expect((await vettid(["enroll", "--invite", invite.stdout.trim(), "--state", device], env)).code).toBe(0);
    expect((await vettid(["vault", "init", "--pin", PIN, "--state", device], env)).code).toBe(0);
    await put("before-any-kill", "first");
    invitations = await listInvitations();
    secrets = await readSecrets();
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
      const report = await restartReport(name, 1);
      const after = published().pids;
      const refreshed = await vettid(["refresh", "--state", device], env);
      const putAfter = await vettid(
        ["vault", "put", `after-${key}`, "--value", "stored after the restart", "--pin", PIN, "--state", device],
        env,
      );
      const read = await items();
      // Assess: the exit was reported, the new pid published, the others untouched
      expect(run.output()).toContain(
        `supervisor: ${name} (pid ${victim}) exited (SIGKILL); restarting it with its state (restart 1)`,
      );
      expect(report.rest).toBe("");
      expect(report.pid).toBe(after[key]);
      expect(after[key]).not.toBe(victim);
      expect(alive(victim)).toBe(false);
      expect(alive(after[key] as number)).toBe(true);
      for (const [other] of CHILDREN) if (other !== key) expect(after[other]).toBe(before[other]);
      // Assess: every item acknowledged before the kill is there, and the edge's records and secrets
      expect(read).toEqual(Object.fromEntries(stored));
      expect(refreshed).toMatchObject({ code: 0 });
      expect(putAfter).toMatchObject({ code: 0 });
      expect(await listInvitations()).toEqual(invitations);
      expect(await readSecrets()).toEqual(secrets);
    },
  );

  it("keeps the KMS stand-in's keys: a runtime started after its restart unseals the vault", async () => {
    // Prepare: the KMS stand-in is killed and restarted once more, then the runtime, which
    // holds no root key any more and must have KMS decrypt the sealed state again
    await put("before-kms-and-runtime", "sealed under the key the KMS stand-in keeps on disk");
    process.kill(published().pids.kms as number, "SIGKILL");
    await restartReport("KMS stand-in", 2);
    // Act
    const runtime = published().pids.runtime as number;
    process.kill(runtime, "SIGKILL");
    const report = await restartReport("vault runtime", 2);
    const read = await items();
    // Assess
    expect(report.rest).toBe("");
    expect(alive(runtime)).toBe(false);
    expect(read).toEqual(Object.fromEntries(stored));
  });

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

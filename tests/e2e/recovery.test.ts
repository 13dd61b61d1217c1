/**
 * Backup and recovery over the whole local topology (real nats-server in operator
 * mode, the REST edge on dynalite, the proxy and the vault runtime as their own
 * processes, KMS and S3 stand-ins, the simulated NSM), each step a `bin/vettid`
 * command as a person types it: A founds a vault (its recovery secret shown once),
 * stores an item and exports a backup; a recovery A cancels does not complete; a new
 * device N enrolls and restores the backup into its own new vault; A sees the waiting
 * recovery; after the delay (the local runtime's measured 3 s) N holds A's item and
 * identity key, and A's vault opens nothing more.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../client/cli/main";
import { sodiumReady } from "../../lib/crypto";
import { createProgress } from "../../local/launcher/progress";
import { startTopology, type Topology } from "../../local/launcher/topology";
import { captureIo } from "../unit/client/capture-io";

const PIN = "482915";

describe("backup and recovery over the local topology (bin/vettid)", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "vt-recover-"));
  const a = join(stateDir, "device-a");
  const n = join(stateDir, "device-n");
  const m = join(stateDir, "device-m");
  const backupFile = join(stateDir, "vault.backup");
  const secretFile = join(stateDir, "recovery-secret.txt");
  let topology: Topology;
  /** A's identity key, from its init. */
  let identityKey: string;

  beforeAll(async () => {
    await sodiumReady();
    topology = await startTopology(
      join(stateDir, "topology"),
      createProgress(() => undefined),
    );
  });
  afterAll(async () => {
    await topology?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function vettid(env: NodeJS.ProcessEnv, ...argv: string[]) {
    const io = captureIo({ VETTID_ENDPOINTS: join(stateDir, "topology", "endpoints.json"), ...env });
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  }
  const cli = (...argv: string[]) => vettid({}, ...argv);
  const json = (r: { out: string }) => JSON.parse(r.out);

  async function enrolled(dir: string, name: string): Promise<void> {
    const admin = topology.endpoints;
    const invitation = await cli("admin", "invite", "--api", admin.rest, "--token", admin.adminToken);
    expect(invitation.code).toBe(0);
    expect((await cli("enroll", "--invite", invitation.out.trim(), "--state", dir, "--name", name)).code).toBe(0);
  }

  it("A founds a vault and exports a backup; a recovery A cancels with the PIN does not complete, and asked again it waits a whole new delay", async () => {
    // Prepare: A founds a vault, keeps the recovery secret, stores an item, exports
    await enrolled(a, "phone");
    const init = await cli("vault", "init", "--pin", PIN, "--state", a, "--json");
    expect(init.code).toBe(0);
    const { recoverySecret } = json(init);
    identityKey = json(init).identityKey;
    writeFileSync(secretFile, `${recoverySecret}\n`, { mode: 0o600 });
    expect((await cli("vault", "put", "bank", "--value", "CANARY-RESTORE-9", "--pin", PIN, "--state", a)).code).toBe(0);
    const exportWith = (...more: string[]) =>
      cli("vault", "export", "--out", backupFile, "--recovery-secret-file", secretFile, ...more, "--state", a);
    const noPin = await exportWith("--pin", "000000");
    const exported = await exportWith("--pin", PIN, "--json");
    await enrolled(m, "stolen backup's device");
    const env = { VETTID_RECOVERY_SECRET: recoverySecret };
    const requested = await vettid(env, "vault", "restore", "--in", backupFile, "--pin", PIN, "--state", m, "--json");
    const warned = await cli("vault", "status", "--state", a);

    // Act
    const cancelled = await vettid(env, "vault", "cancel-recovery", "--pin", PIN, "--state", a, "--json");
    const cancelledAt = Date.now();
    const again = await vettid(env, "vault", "restore", "--in", backupFile, "--pin", PIN, "--state", m, "--json");
    const seenAgain = await cli("vault", "status", "--state", a, "--json");
    const withoutSecret = await cli("vault", "cancel-recovery", "--pin", PIN, "--state", a);
    const cancelledAgain = await vettid(env, "vault", "cancel-recovery", "--pin", PIN, "--state", a);

    // Assess
    expect(noPin.code).toBe(1);
    expect(noPin.err).toMatch(/^error: PIN_INCORRECT/);
    expect(exported.code).toBe(0);
    expect(json(exported)).toMatchObject({ out: backupFile, bytes: readFileSync(backupFile).length });
    expect(readFileSync(backupFile).includes(Buffer.from("CANARY-RESTORE-9"))).toBe(false);
    expect(requested.code).toBe(0);
    expect(json(requested).state).toBe("pending");
    expect(warned.err).toMatch(/^warning: a recovery of this vault into vlt_[0-9a-f]+ was asked for/);
    expect(json(cancelled)).toMatchObject({ cancelled: true });
    // Asking again starts a new recovery with a new delay, which the owner sees again:
    // the cancelled one is gone, not completed.
    expect(again.code).toBe(0);
    expect(json(again).state).toBe("pending");
    expect(Date.parse(json(again).readyAt)).toBeGreaterThan(cancelledAt + 2_000);
    expect(json(seenAgain).recovery).not.toBeNull();
    expect(withoutSecret.code).toBe(2);
    expect(withoutSecret.err).toMatch(/a recovery secret is required/);
    expect(cancelledAgain).toEqual({ code: 0, out: "recovery cancelled\n", err: "" });
  });

  it("N restores A's backup into a new vault after the delay A was shown, with A's item and identity key; A's vault then opens nothing", async () => {
    // Prepare
    const recoverySecret = readFileSync(secretFile, "utf8").trim();
    await enrolled(n, "new phone");

    // Act: N asks for the recovery; A sees it; N waits for the delay and completes
    const wrongSecret = await vettid(
      { VETTID_RECOVERY_SECRET: `${recoverySecret.slice(0, -5)}0000` },
      "vault",
      "restore",
      "--in",
      backupFile,
      "--pin",
      PIN,
      "--state",
      n,
    );
    const requested = await cli(
      "vault",
      "restore",
      "--in",
      backupFile,
      "--recovery-secret-file",
      secretFile,
      "--pin",
      PIN,
      "--state",
      n,
      "--json",
    );
    const seen = await cli("vault", "status", "--state", a, "--json");
    const restored = await cli(
      "vault",
      "restore",
      "--in",
      backupFile,
      "--recovery-secret-file",
      secretFile,
      "--wait",
      "--pin",
      PIN,
      "--state",
      n,
      "--json",
    );
    const read = await cli("vault", "get", "bank", "--pin", PIN, "--state", n);
    const auditN = await cli("vault", "audit", "--pin", PIN, "--state", n, "--json");
    const readA = await cli("vault", "get", "bank", "--pin", PIN, "--state", a);
    const statusA = await cli("vault", "status", "--state", a, "--json");

    // Assess
    expect(wrongSecret.code).toBe(2);
    expect(wrongSecret.err).toMatch(/recovery secret: its checksum does not match/);
    expect(requested.code).toBe(0);
    const vaultA = JSON.parse(readFileSync(join(a, "device.json"), "utf8")).vaultId;
    const vaultN = JSON.parse(readFileSync(join(n, "device.json"), "utf8")).vaultId;
    expect(json(requested)).toMatchObject({ state: "pending", sourceVaultId: vaultA });
    expect(json(seen).recovery).toMatchObject({ targetVaultId: vaultN });
    expect(restored.code).toBe(0);
    expect(restored.err).toMatch(/^waiting \d+ s for the recovery delay/);
    expect(json(restored)).toMatchObject({ state: "restored", identityKey, items: 1, identityRegistered: true });
    expect(read).toEqual({ code: 0, out: "CANARY-RESTORE-9\n", err: "" });
    expect(json(auditN).entries[0]).toMatchObject({ kind: "backup.restored", detail: { from: vaultA, into: vaultN } });
    expect(readA.code).toBe(1);
    expect(readA.err).toMatch(/^error: VAULT_RECOVERED: the vault was recovered into vlt_/);
    expect(json(statusA)).toMatchObject({ initialized: true, recoveredInto: vaultN });
  });
});

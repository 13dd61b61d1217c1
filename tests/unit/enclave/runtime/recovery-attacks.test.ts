/**
 * Attacks on backup and recovery (docs/decisions/0068) beyond the journeys of
 * recovery.test.ts: a host that carries every message and keeps the stores, someone
 * holding backups and the recovery secret but not the PIN, and two recoveries at once.
 */
import type { VaultClient, VaultOperationError } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { FREE_PIN_FAILURES, MAX_PIN_FAILURES, parseBackup, stateBlobKey } from "../../../../vault-enclave/state";
import { bytes, codeOf, type Harness, type Person, PIN, person, startHarness } from "./harness";

const DELAY_MS = 60_000;

describe("attacks on backup and recovery (in-memory host)", () => {
  let h: Harness;
  let alice: Person;
  let clock = 0;
  let vaults: string[];
  let fresh: Person[];

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    fresh = [await person("dev-new-1"), await person("dev-new-2"), await person("dev-new-3")];
    vaults = [alice.vaultId, ...fresh.map((p) => p.vaultId)];
    clock = Date.now();
    h = await startHarness(vaults, { now: () => clock, recoveryDelayMs: DELAY_MS });
  });
  afterEach(async () => {
    await h.close();
  });

  async function owner(): Promise<{ phone: VaultClient; recoverySecret: Uint8Array }> {
    const phone = h.client(alice);
    const init = await phone.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    await phone.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes("CANARY-BANK-77") });
    return { phone, recoverySecret: init.recoverySecret };
  }

  const exported = async (phone: VaultClient) =>
    (await phone.call("backup.export", { op: "backup.export", pin: PIN })).backup;

  const fields = (who: Person, backup: Uint8Array, recoverySecret: Uint8Array) => ({
    backup,
    recoverySecret,
    signingKey: who.signing.publicKey,
    vaultSalt: who.vaultSalt,
  });
  const start = (device: VaultClient, who: Person, backup: Uint8Array, secret: Uint8Array) =>
    device.call("recovery.start", { op: "recovery.start", ...fields(who, backup, secret) });
  const complete = (device: VaultClient, who: Person, backup: Uint8Array, secret: Uint8Array, pin = PIN) =>
    device.call("recovery.complete", { op: "recovery.complete", ...fields(who, backup, secret), pin });

  async function recover(who: Person, backup: Uint8Array, secret: Uint8Array) {
    const device = h.client(who);
    await start(device, who, backup, secret);
    clock += DELAY_MS;
    return complete(device, who, backup, secret);
  }

  it("lets a retired vault restore only the backup that retired it: another of its backups makes no third copy", async () => {
    // Prepare: two backups; the owner recovers with the newer, the older stays with a thief who has the secret
    const { phone, recoverySecret } = await owner();
    const older = await exported(phone);
    const newer = await exported(phone);
    await recover(fresh[0] as Person, newer, recoverySecret);

    // Act
    const thief = h.client(fresh[1] as Person);
    const other = await codeOf(start(thief, fresh[1] as Person, older, recoverySecret));
    clock += DELAY_MS;
    const otherDone = await codeOf(complete(thief, fresh[1] as Person, older, recoverySecret));
    const same = await recover(fresh[2] as Person, newer, recoverySecret);

    // Assess: the backup that retired the vault keeps its one more restore; no other backup restores at all
    expect([other, otherDone]).toEqual(["RECOVERY_UNAVAILABLE", "RECOVERY_UNAVAILABLE"]);
    expect(h.blobs.objects.has(stateBlobKey(fresh[1]?.vaultId as string))).toBe(false);
    expect(same.items).toBe(1);
  });
});

/**
 * Backup, restore and recovery decided in the enclave (docs/protocol.md §Backup and
 * recovery, docs/decisions/0068), attacked by the host (which keeps the stores and
 * carries every message), by someone holding a backup file, and by a thief holding an
 * unlocked device but not its PIN.
 */
import type { VaultClient } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { VettidError } from "../../../../lib/errors";
import { RECOVERY_SECRET_BYTES } from "../../../../lib/recovery";
import { MAX_RESTORES_PER_BACKUP, openBackup, parseBackup, stateBlobKey } from "../../../../vault-enclave/state";
import { bytes, codeOf, founded, type Harness, type Person, PIN, person, startHarness } from "./harness";
import { complete, exported, start } from "./recovery-helpers";

const DELAY_MS = 60_000;

describe("backup and recovery in the enclave (in-memory host)", () => {
  let h: Harness;
  let alice: Person;
  let clock = 0;
  let vaults: string[];
  /** Fresh devices, each with a vault of its own to restore into. */
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

  /** Alice's vault with two items; its device unlocked; the recovery secret from init. */
  async function owner(): Promise<{ phone: VaultClient; recoverySecret: Uint8Array; identityKey: Uint8Array }> {
    const phone = h.client(alice);
    const init = await phone.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
    await phone.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes("CANARY-BANK-77") });
    await phone.call("items.put", { op: "items.put", name: "note", type: "note", value: bytes("milk") });
    return { phone, recoverySecret: init.recoverySecret, identityKey: init.identityKey };
  }

  /** Starts a recovery into `who`'s fresh vault, lets the delay pass, completes it. */
  async function recover(who: Person, backup: Uint8Array, secret: Uint8Array) {
    const device = h.client(who);
    await start(device, who, backup, secret);
    clock += DELAY_MS;
    return { device, done: await complete(device, who, backup, secret) };
  }

  it("gives init a recovery secret, and restores a backup into a fresh vault after the delay: items, identity key and PIN", async () => {
    // Prepare
    const { phone, recoverySecret, identityKey } = await owner();
    const backup = await exported(phone, recoverySecret);
    const newDevice = h.client(fresh[0] as Person);

    // Act
    const started = await start(newDevice, fresh[0] as Person, backup, recoverySecret);
    const seen = await phone.call("vault.status", { op: "vault.status" });
    const early = await codeOf(complete(newDevice, fresh[0] as Person, backup, recoverySecret));
    const sourceLog = (await phone.readAudit()).entries.map((e) => e.kind);
    clock += DELAY_MS;
    const done = await complete(newDevice, fresh[0] as Person, backup, recoverySecret);

    // Assess
    expect(recoverySecret.length).toBe(RECOVERY_SECRET_BYTES);
    expect(started).toMatchObject({ sourceVaultId: alice.vaultId, readyAt: clock });
    expect(seen.recovery).toEqual({ targetVaultId: fresh[0]?.vaultId, requestedAt: clock - DELAY_MS, readyAt: clock });
    expect(early).toBe("RECOVERY_PENDING");
    expect(done).toMatchObject({ sourceVaultId: alice.vaultId, items: 2 });
    expect(Buffer.from(done.identityKey)).toEqual(Buffer.from(identityKey));
    const again = h.client(fresh[0] as Person, { memory: newDevice.known });
    await again.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const { item } = await again.call("items.get", { op: "items.get", name: "bank" });
    expect(Buffer.from(item.value).toString()).toBe("CANARY-BANK-77");
    const challenge = bytes("relying party nonce 1");
    const { signature } = await again.call("identity.sign", { op: "identity.sign", challenge });
    const s = await sodiumReady();
    expect(s.crypto_sign_verify_detached(signature, challenge, identityKey)).toBe(true);
    expect(sourceLog.slice(-3)).toEqual(["backup.exported", "unlock.attempted", "recovery.started"]);
    const target = (await again.readAudit()).entries;
    expect(target[0]).toMatchObject({
      kind: "backup.restored",
      detail: { from: alice.vaultId, into: fresh[0]?.vaultId },
    });
  });

  it("retires the source vault when a recovery completes: its devices can ask its status only", async () => {
    // Prepare: the lost phone, with its PIN, in a thief's hands
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    await recover(fresh[0] as Person, backup, recoverySecret);

    // Act
    const ended = await codeOf(phone.call("items.get", { op: "items.get", name: "bank" }));
    const lostPhone = h.client(alice, { memory: phone.known });
    const status = await lostPhone.call("vault.status", { op: "vault.status" });
    const unlock = await codeOf(lostPhone.call("vault.unlock", { op: "vault.unlock", pin: PIN }));
    const read = await codeOf(lostPhone.call("items.get", { op: "items.get", name: "bank" }));
    const exportAgain = await codeOf(
      lostPhone.call("backup.export", { op: "backup.export", pin: PIN, recoverySecret }),
    );

    // Assess: the unlocked session ended with the recovery; a new one opens nothing
    expect(ended).toBe("UNAUTHENTICATED");
    expect(status).toMatchObject({ initialized: true, unlocked: false, recovery: null });
    expect(status.recoveredInto).toBe(fresh[0]?.vaultId);
    expect([unlock, read, exportAgain]).toEqual(["VAULT_RECOVERED", "VAULT_RECOVERED", "VAULT_RECOVERED"]);
  });

  it("keeps a backup closed without the recovery secret, and records nothing", async () => {
    // Prepare
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const wrong = recoverySecret.slice();
    wrong[0] = (wrong[0] as number) ^ 1;

    // Act
    const refused = await codeOf(start(h.client(fresh[0] as Person), fresh[0] as Person, backup, wrong));
    const refusedComplete = await codeOf(complete(h.client(fresh[0] as Person), fresh[0] as Person, backup, wrong));

    // Assess
    expect(refused).toBe("BACKUP_INVALID");
    expect(refusedComplete).toBe("BACKUP_INVALID");
    expect((await phone.call("vault.status", { op: "vault.status" })).recovery).toBeNull();
    expect(h.blobs.objects.has(stateBlobKey(fresh[0]?.vaultId as string))).toBe(false);
  });

  it("keeps a backup closed outside an enclave: the file and the secret open nothing without the KMS data key", async () => {
    // Prepare: the file holds no plaintext, and every key it could give is tried
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const parsed = parseBackup(backup);
    const s = await sodiumReady();
    const secretKey = s.crypto_generichash(32, new TextEncoder().encode("VETTID-RECOVERY-KEY-1"), recoverySecret);

    // Act
    const guesses = [
      { dataKey: new Uint8Array(32), recoveryKey: secretKey },
      { dataKey: parsed.header.kmsCiphertextBlob.slice(0, 32), recoveryKey: secretKey },
      { dataKey: secretKey, recoveryKey: secretKey },
    ].map((keys) => {
      try {
        openBackup(parsed, keys);
        return "opened";
      } catch (err) {
        return (err as VettidError).code;
      }
    });

    // Assess
    expect(Buffer.from(backup).includes(Buffer.from("CANARY-BANK-77"))).toBe(false);
    expect(guesses).toEqual(["BACKUP_INVALID", "BACKUP_INVALID", "BACKUP_INVALID"]);
    // The data key is released for the backup's context only, never for the vault's root-key context.
    await expect(h.stores.kms.decrypt(parsed.header.kmsCiphertextBlob, { vault: alice.vaultId })).rejects.toThrow(
      VettidError,
    );
  });

  it(`restores one backup into at most ${MAX_RESTORES_PER_BACKUP} vaults, counted in the source vault across restarts`, async () => {
    // Prepare
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    await recover(fresh[0] as Person, backup, recoverySecret);

    // Act: a restart of the runtime over the same stores, then a second restore, again after another restart
    await h.close();
    h = await startHarness(vaults, { now: () => clock, recoveryDelayMs: DELAY_MS, stores: h.stores });
    const second = await codeOf(start(h.client(fresh[1] as Person), fresh[1] as Person, backup, recoverySecret));
    await h.close();
    h = await startHarness(vaults, { now: () => clock, recoveryDelayMs: DELAY_MS, stores: h.stores });
    const third = await codeOf(start(h.client(fresh[2] as Person), fresh[2] as Person, backup, recoverySecret));

    // Assess
    expect(MAX_RESTORES_PER_BACKUP).toBe(1);
    expect([second, third]).toEqual(["RECOVERY_UNAVAILABLE", "RECOVERY_UNAVAILABLE"]);
    expect(h.blobs.objects.has(stateBlobKey(fresh[1]?.vaultId as string))).toBe(false);
    expect(h.blobs.objects.has(stateBlobKey(fresh[2]?.vaultId as string))).toBe(false);
  });

  it("lets the owner cancel a waiting recovery with the PIN, and a device without the PIN do none of it", async () => {
    // Prepare
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const thief = h.client(alice, { memory: phone.known });
    const newDevice = h.client(fresh[0] as Person);
    await start(newDevice, fresh[0] as Person, backup, recoverySecret);

    // Act
    const thiefCancels = await codeOf(
      thief.call("recovery.cancel", { op: "recovery.cancel", pin: PIN, recoverySecret }),
    );
    const thiefExports = await codeOf(thief.call("backup.export", { op: "backup.export", pin: PIN, recoverySecret }));
    const wrongPin = await codeOf(
      phone.call("recovery.cancel", { op: "recovery.cancel", pin: "000000", recoverySecret }),
    );
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await phone.call("recovery.cancel", { op: "recovery.cancel", pin: PIN, recoverySecret });
    clock += DELAY_MS;
    const afterCancel = await codeOf(complete(newDevice, fresh[0] as Person, backup, recoverySecret));

    // Assess
    expect(thiefCancels).toBe("VAULT_LOCKED");
    expect(thiefExports).toBe("VAULT_LOCKED");
    expect(wrongPin).toBe("PIN_INCORRECT");
    expect(afterCancel).toBe("RECOVERY_UNAVAILABLE");
    const kinds = (await phone.readAudit()).entries.map((e) => e.kind);
    expect(kinds).toContain("recovery.cancelled");
    expect(h.blobs.objects.has(stateBlobKey(fresh[0]?.vaultId as string))).toBe(false);
  });

  it("counts a wrong PIN at completion against the source vault, and restores nothing", async () => {
    // Prepare
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const newDevice = h.client(fresh[0] as Person);
    await start(newDevice, fresh[0] as Person, backup, recoverySecret);
    clock += DELAY_MS;

    // Act
    const wrong = await codeOf(complete(newDevice, fresh[0] as Person, backup, recoverySecret, "999999"));

    // Assess
    expect(wrong).toBe("PIN_INCORRECT");
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const failures = (await phone.readAudit()).entries.filter((e) => e.kind === "unlock.failed");
    expect(failures).toHaveLength(1);
    expect(h.blobs.objects.has(stateBlobKey(fresh[0]?.vaultId as string))).toBe(false);
  });

  it("lets only the device the fresh vault id commits to restore into it, and never into an existing vault", async () => {
    // Prepare
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const intruder = await person("dev-intruder");

    // Act
    const otherKey = await codeOf(
      start(h.client(fresh[0] as Person, { as: intruder }), intruder, backup, recoverySecret),
    );
    const intoSelf = await codeOf(start(h.client(alice), alice, backup, recoverySecret));

    // Assess
    expect(otherKey).toBe("FORBIDDEN");
    expect(["VAULT_ALREADY_INITIALIZED", "UNAUTHENTICATED"]).toContain(intoSelf);
    expect((await phone.call("vault.status", { op: "vault.status" })).recovery).toBeNull();
  });

  it("refuses a backup whose header the host rewrote to name another vault", async () => {
    // Prepare: bob's vault exists too; the host puts bob's id into alice's backup
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    await h.close();
    const bob = await person("dev-bob");
    vaults.push(bob.vaultId);
    h = await startHarness(vaults, { now: () => clock, recoveryDelayMs: DELAY_MS, stores: h.stores });
    await founded(h, bob);
    const forged = Buffer.from(backup);
    const at = forged.indexOf(Buffer.from(alice.vaultId));
    forged.set(Buffer.from(bob.vaultId), at);

    // Act
    const refused = await codeOf(
      start(h.client(fresh[0] as Person), fresh[0] as Person, new Uint8Array(forged), recoverySecret),
    );

    // Assess
    expect(alice.vaultId.length).toBe(bob.vaultId.length);
    expect(["BACKUP_INVALID", "FORBIDDEN"]).toContain(refused);
  });

  it("completes a restore whose vault write failed when tried again, counting it once", async () => {
    // Prepare: the host fails the new vault's first write, after the source counted the restore
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const who = fresh[0] as Person;
    const device = h.client(who);
    await start(device, who, backup, recoverySecret);
    clock += DELAY_MS;
    const put = h.blobs.put.bind(h.blobs);
    let failed = false;
    h.blobs.put = async (key, data, expected) => {
      if (key === stateBlobKey(who.vaultId) && !failed) {
        failed = true;
        throw new VettidError("UNAVAILABLE", "the store is down");
      }
      return put(key, data, expected);
    };

    // Act
    const first = await codeOf(complete(device, who, backup, recoverySecret));
    const second = await complete(device, who, backup, recoverySecret);
    const other = await codeOf(start(h.client(fresh[1] as Person), fresh[1] as Person, backup, recoverySecret));

    // Assess
    expect(first).toBe("UNAVAILABLE");
    expect(second.items).toBe(2);
    expect(other).toBe("RECOVERY_UNAVAILABLE");
  });
});

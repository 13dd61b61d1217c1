/**
 * Attacks on backup and recovery (docs/decisions/0068) beyond the journeys of
 * recovery.test.ts: a host that carries every message and keeps the stores, someone
 * holding backups and the recovery secret but not the PIN, and two recoveries at once.
 */
import type { VaultClient, VaultOperationError } from "../../../../client/vault";
import { sodiumReady } from "../../../../lib/crypto";
import { FREE_PIN_FAILURES, MAX_PIN_FAILURES, parseBackup, stateBlobKey } from "../../../../vault-enclave/state";
import { bytes, codeOf, type Harness, type Person, PIN, person, startHarness } from "./harness";
import { complete, exported, start } from "./recovery-helpers";

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

  async function recover(who: Person, backup: Uint8Array, secret: Uint8Array) {
    const device = h.client(who);
    await start(device, who, backup, secret);
    clock += DELAY_MS;
    return complete(device, who, backup, secret);
  }

  it("lets a retired vault restore no backup again: neither another of its backups nor the one that retired it makes a second copy", async () => {
    // Prepare: two backups; the owner recovers with the newer, the older stays with a thief who has the secret
    const { phone, recoverySecret } = await owner();
    const older = await exported(phone, recoverySecret);
    const newer = await exported(phone, recoverySecret);
    await recover(fresh[0] as Person, newer, recoverySecret);

    // Act
    const thief = h.client(fresh[1] as Person);
    const other = await codeOf(start(thief, fresh[1] as Person, older, recoverySecret));
    clock += DELAY_MS;
    const otherDone = await codeOf(complete(thief, fresh[1] as Person, older, recoverySecret));
    const same = await codeOf(start(h.client(fresh[2] as Person), fresh[2] as Person, newer, recoverySecret));

    // Assess: one backup restores once, and a retired vault restores nothing more
    expect([other, otherDone, same]).toEqual(["RECOVERY_UNAVAILABLE", "RECOVERY_UNAVAILABLE", "RECOVERY_UNAVAILABLE"]);
    expect(h.blobs.objects.has(stateBlobKey(fresh[1]?.vaultId as string))).toBe(false);
    expect(h.blobs.objects.has(stateBlobKey(fresh[2]?.vaultId as string))).toBe(false);
  });

  it("applies the PIN back-off and lock-out to guesses through recovery.start, and records and restores nothing while it holds", async () => {
    // Prepare: a thief with the backup and the recovery secret, not the PIN
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const who = fresh[0] as Person;

    // Act: free guesses, then one more, then the right PIN at once, then guesses to the end
    const guess = (pin: string) => codeOf(start(h.client(who), who, backup, recoverySecret, pin));
    const free: string[] = [];
    for (let i = 0; i <= FREE_PIN_FAILURES; i += 1) free.push(await guess(`00000${i}`));
    let backoff: VaultOperationError | undefined;
    try {
      await start(h.client(who), who, backup, recoverySecret, PIN);
    } catch (err) {
      backoff = err as VaultOperationError;
    }
    const later: string[] = [];
    for (let i = FREE_PIN_FAILURES + 1; i < MAX_PIN_FAILURES; i += 1) {
      clock += 3_600_000;
      later.push(await guess(`1${String(i).padStart(5, "0")}`));
    }
    const exhausted = await guess(PIN);

    // Assess
    expect(free).toEqual(Array(FREE_PIN_FAILURES + 1).fill("PIN_INCORRECT"));
    expect(backoff?.code).toBe("PIN_LOCKED_OUT");
    expect(backoff?.retryAfterMs).toBeGreaterThan(0);
    expect(later).toEqual(Array(MAX_PIN_FAILURES - FREE_PIN_FAILURES - 1).fill("PIN_INCORRECT"));
    expect(exhausted).toBe("PIN_ATTEMPTS_EXHAUSTED");
    expect(
      (await h.client(alice, { memory: phone.known }).call("vault.status", { op: "vault.status" })).recovery,
    ).toBeNull();
    expect(h.blobs.objects.has(stateBlobKey(who.vaultId))).toBe(false);
  });

  it("keeps a vault recoverable from its backup after a device without the PIN spent every unlock attempt", async () => {
    // Prepare: a thief holding the lost phone, not its PIN, spends every unlock attempt
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const unlocks: string[] = [];
    for (let i = 0; i < MAX_PIN_FAILURES; i += 1) {
      clock += 3_600_000;
      const thief = h.client(alice, { memory: phone.known });
      unlocks.push(
        await codeOf(thief.call("vault.unlock", { op: "vault.unlock", pin: `2${String(i).padStart(5, "0")}` })),
      );
    }
    const who = fresh[0] as Person;
    const device = h.client(who);
    await start(device, who, backup, recoverySecret);
    clock += DELAY_MS;

    // Act: the owner, with the backup, its secret and the PIN, mistypes once, then completes
    const typo = await codeOf(complete(device, who, backup, recoverySecret, "999999"));
    const done = await complete(h.client(who), who, backup, recoverySecret);

    // Assess
    expect(unlocks.at(-1)).toBe("PIN_INCORRECT");
    expect(await codeOf(h.client(alice, { memory: phone.known }).call("vault.status", { op: "vault.status" }))).toBe(
      "OK",
    );
    expect(typo).toBe("PIN_INCORRECT");
    expect(done.items).toBe(1);
  });

  it("keeps the vault's devices unlocking after someone with a backup and its secret spent every PIN attempt at recovery", async () => {
    // Prepare: a thief with the backup and the secret, not the PIN, spends the recovery's attempts
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const who = fresh[0] as Person;
    for (let i = 0; i < MAX_PIN_FAILURES; i += 1) {
      clock += 3_600_000;
      await codeOf(start(h.client(who), who, backup, recoverySecret, `3${String(i).padStart(5, "0")}`));
    }

    // Act
    const thiefAgain = await codeOf(start(h.client(who), who, backup, recoverySecret));
    const ownerPhone = h.client(alice, { memory: phone.known });
    const unlock = await codeOf(ownerPhone.call("vault.unlock", { op: "vault.unlock", pin: PIN }));

    // Assess
    expect(thiefAgain).toBe("PIN_ATTEMPTS_EXHAUSTED");
    expect(unlock).toBe("OK");
    expect(h.blobs.objects.has(stateBlobKey(who.vaultId))).toBe(false);
  });

  it("refuses a backup whose KMS blob the host swapped for another backup's of the same vault, and records nothing", async () => {
    // Prepare: KMS releases the other blob's data key for the same context; the file's key is not that one
    const { phone, recoverySecret } = await owner();
    const first = await exported(phone, recoverySecret);
    const second = await exported(phone, recoverySecret);
    const a = parseBackup(first).header.kmsCiphertextBlob;
    const b = parseBackup(second).header.kmsCiphertextBlob;
    const forged = Buffer.from(first);
    forged.set(b, forged.indexOf(Buffer.from(a)));

    // Act
    const refused = await codeOf(
      start(h.client(fresh[0] as Person), fresh[0] as Person, new Uint8Array(forged), recoverySecret),
    );

    // Assess
    expect(a.length).toBe(b.length);
    expect(refused).toBe("BACKUP_INVALID");
    expect((await phone.call("vault.status", { op: "vault.status" })).recovery).toBeNull();
  });

  it("records one pending recovery when two fresh vaults ask at once, and counts one restore when one completion is sent twice at once", async () => {
    // Prepare
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const [one, two] = [fresh[0] as Person, fresh[1] as Person];
    const first = h.client(one);
    const second = h.client(two);
    await first.call("vault.status", { op: "vault.status" });
    await second.call("vault.status", { op: "vault.status" });

    // Act
    const starts = await Promise.all([
      codeOf(start(first, one, backup, recoverySecret)),
      codeOf(start(second, two, backup, recoverySecret)),
    ]);
    const winner = starts[0] === "OK" ? { device: first, who: one } : { device: second, who: two };
    const loser = starts[0] === "OK" ? { device: second, who: two } : { device: first, who: one };
    clock += DELAY_MS;
    const twin = h.client(winner.who);
    const completes = await Promise.all([
      codeOf(complete(winner.device, winner.who, backup, recoverySecret)),
      codeOf(complete(twin, winner.who, backup, recoverySecret)),
    ]);
    const last = fresh[2] as Person;
    const another = await codeOf(start(h.client(last), last, backup, recoverySecret));
    const beyond = await codeOf(start(loser.device, loser.who, backup, recoverySecret));

    // Assess: one start won; one completion restored, the other found the vault made; none more
    expect([...starts].sort()).toEqual(["OK", "RECOVERY_UNAVAILABLE"]);
    expect([...completes].sort()).toEqual(["OK", "VAULT_ALREADY_INITIALIZED"]);
    expect(another).toBe("RECOVERY_UNAVAILABLE");
    expect(beyond).toBe("RECOVERY_UNAVAILABLE");
  });

  it("logs no recovery secret, PIN, backup bytes or item through the host's log port", async () => {
    // Prepare
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const who = fresh[0] as Person;
    const device = h.client(who);

    // Act: a wrong secret, a wrong PIN, a completion
    const wrong = recoverySecret.slice();
    wrong[1] = (wrong[1] as number) ^ 0x40;
    await codeOf(start(device, who, backup, wrong));
    await start(device, who, backup, recoverySecret);
    clock += DELAY_MS;
    await codeOf(complete(device, who, backup, recoverySecret, "135790"));
    clock += 3_600_000;
    await complete(h.client(who), who, backup, recoverySecret);

    // Assess
    const logged = h.logs.join("\n");
    const forms = (b: Uint8Array) => [Buffer.from(b).toString("hex"), Buffer.from(b).toString("base64")];
    for (const secret of [
      ...forms(recoverySecret),
      ...forms(wrong),
      ...forms(parseBackup(backup).header.kmsCiphertextBlob),
      ...forms(backup.subarray(backup.length - 64)),
      PIN,
      "135790",
      "CANARY-BANK-77",
    ]) {
      expect(logged).not.toContain(secret);
    }
  });
  it("lets a device whose PIN was watched neither cancel a recovery nor export without the recovery secret", async () => {
    // Prepare: the owner, with backup and secret, asks for a recovery; a thief holds the old phone and its PIN
    const { phone, recoverySecret } = await owner();
    const backup = await exported(phone, recoverySecret);
    const who = fresh[0] as Person;
    await start(h.client(who), who, backup, recoverySecret);
    const thief = h.client(alice, { memory: phone.known });
    await thief.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const guessed = new Uint8Array(recoverySecret.length).fill(7);

    // Act: cancel and export (to push the owner's backup out of the records) with a guessed secret
    const cancel = await codeOf(
      thief.call("recovery.cancel", { op: "recovery.cancel", pin: PIN, recoverySecret: guessed }),
    );
    const exports: string[] = [];
    for (let i = 0; i < 9; i += 1) {
      exports.push(
        await codeOf(thief.call("backup.export", { op: "backup.export", pin: PIN, recoverySecret: guessed })),
      );
    }
    clock += DELAY_MS;
    const done = await complete(h.client(who), who, backup, recoverySecret);

    // Assess: refused without a write; the owner's recovery completes
    expect(cancel).toBe("RECOVERY_SECRET_INCORRECT");
    expect(exports).toEqual(Array(9).fill("RECOVERY_SECRET_INCORRECT"));
    expect(done.items).toBe(1);
  });
});

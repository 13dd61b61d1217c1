import { existsSync, writeFileSync } from "node:fs";
import { sodiumReady } from "../../lib/crypto";
import { parseRecoverySecret } from "../../lib/recovery";
import { MAX_BACKUP_BYTES } from "../../lib/vault-protocol";
import { type CliIo, printJson, UsageError } from "./command";
import { readInputFile, readInputText } from "./input-file";
import { readPin } from "./pin-input";
import {
  b64url,
  iso,
  PIN_HELP,
  PIN_OPTIONS,
  readUnlockPin,
  str,
  unlockPin,
  type Values,
  vaultCommand,
} from "./vault-command";
import { registerIdentity } from "./vault-identity";

/** How long `vault restore --wait` waits for a recovery's delay in one command; longer, it says when to come back. */
export const MAX_RESTORE_WAIT_MS = 5 * 60_000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Help lines of `--recovery-secret-file`. */
const SECRET_HELP = `  --recovery-secret-file S the recovery secret shown at vault init (first line of S;
                           else VETTID_RECOVERY_SECRET)`;

/** `vettid vault export`. */
export const vaultExportCommand = vaultCommand({
  word: "export",
  summary:
    "write a backup of the vault to a file (PIN and recovery secret); it opens only in an enclave, with the secret",
  synopsis: "--out F [--force] [--recovery-secret-file S]",
  about: `Asks the vault for a backup (the PIN is checked again in the same session, counted
like an unlock, and the recovery secret shown at vault init must match) and writes it
to F (mode 0600). The backup holds the vault's items, identity key and PIN record,
sealed under a KMS data key that only an attested enclave can obtain and the recovery
secret: neither the file alone nor the file with the secret opens anywhere but inside
an enclave, and there only with the secret. The vault records the backup; it can be
restored into one new vault (vettid vault restore), and the vault's 8 newest backups
stay restorable.
  --json             print {out, backupId, exportedAt, bytes}`,
  optionsHelp: `  --out F            the backup file to write (refused if it exists, unless --force)
  --force            overwrite F
${SECRET_HELP}
${PIN_HELP}`,
  options: {
    out: { type: "string" },
    force: { type: "boolean" },
    "recovery-secret-file": { type: "string" },
    ...PIN_OPTIONS,
  },
  prepare: readUnlockPin,
  async check(values, _positional, io) {
    const out = str(values, "out");
    if (out === undefined) throw new UsageError("--out is required");
    if (existsSync(out) && values.force !== true) throw new UsageError(`${out} exists; give --force to overwrite it`);
    await sodiumReady();
    return { out, recoverySecret: readRecoverySecret(values, io) };
  },
  async run({ session, io, json, pins, checked }) {
    const pin = pins.pin as string;
    await session.unlock(pin);
    const result = await session.call("backup.export", {
      op: "backup.export",
      pin,
      recoverySecret: checked.recoverySecret as Uint8Array,
    });
    const out = checked.out as string;
    writeFileSync(out, result.backup, { mode: 0o600 });
    if (json) {
      printJson(io, {
        out,
        backupId: hex(result.backupId),
        exportedAt: iso(result.exportedAt),
        bytes: result.backup.length,
      });
    } else {
      io.stdout(`backup ${hex(result.backupId)} written to ${out} (${result.backup.length} bytes)\n`);
    }
  },
});

/** The recovery secret for `vault restore`: `--recovery-secret-file F` (its first line) or `VETTID_RECOVERY_SECRET`. */
function readRecoverySecret(values: Values, io: CliIo): Uint8Array {
  const file = str(values, "recovery-secret-file");
  const text =
    file !== undefined ? readInputText(file, "recovery secret file").split(/\r?\n/)[0] : io.env.VETTID_RECOVERY_SECRET;
  if (text === undefined || text === "") {
    throw new UsageError("a recovery secret is required: --recovery-secret-file F or VETTID_RECOVERY_SECRET");
  }
  try {
    return parseRecoverySecret(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `vettid vault restore`. */
export const vaultRestoreCommand = vaultCommand({
  word: "restore",
  summary: "restore a backup into this freshly enrolled device's new vault (recovery secret; after a delay)",
  synopsis: "--in F [--recovery-secret-file S] [--wait] [--pin P | --pin-file F]",
  about: `Recovers a vault from a backup (vettid vault export) into this device's vault, which
must be new: enroll first (vettid enroll), then run this as that device. The enclave
opens the backup with the recovery secret, and the backup's vault records a pending
recovery: its devices, if any are left, see it (vettid vault status) and can cancel it
(vettid vault cancel-recovery) until its delay (24 hours in production) has passed.
Run the command again after that, or give --wait to wait here when the delay ends
within ${MAX_RESTORE_WAIT_MS / 60_000} minutes. Asking and completing each take the backup's PIN (checked and
counted against the backup's vault's recovery attempts); completing gives this device's vault the backup's items, identity key
and PIN; then its identity key is registered at the edge, as vault init does.
  --json             print {state: "pending", sourceVaultId, readyAt} or
                     {state: "restored", sourceVaultId, identityKey, items, identityRegistered}`,
  optionsHelp: `  --in F                   the backup file
${SECRET_HELP}
  --wait                   wait for the delay when it ends within ${MAX_RESTORE_WAIT_MS / 60_000} minutes
${PIN_HELP.replace("the PIN (", "the backup's PIN (")}`,
  options: {
    in: { type: "string" },
    "recovery-secret-file": { type: "string" },
    wait: { type: "boolean" },
    ...PIN_OPTIONS,
  },
  async check(values, _positional, io) {
    const path = str(values, "in");
    if (path === undefined) throw new UsageError("--in is required");
    const backup = new Uint8Array(readInputFile(path, "backup file"));
    if (backup.length === 0 || backup.length > MAX_BACKUP_BYTES) {
      throw new UsageError(`--in: a backup is 1..${MAX_BACKUP_BYTES} bytes`);
    }
    await sodiumReady();
    return { backup, wait: values.wait === true, recoverySecret: readRecoverySecret(values, io) };
  },
  async prepare(values, io, { device }) {
    if (device.pairing || !device.vaultSalt) {
      throw new Error("restore into a device that founded its own new vault (vettid enroll with an invitation)");
    }
    return { pin: await readPin({ ...unlockPin(values), question: "the backup's vault PIN: " }, io) };
  },
  async run({ session, io, json, pins, checked, state }) {
    const { device } = state;
    const fields = {
      backup: checked.backup as Uint8Array,
      recoverySecret: checked.recoverySecret as Uint8Array,
      signingKey: new Uint8Array(Buffer.from(device.publicKeys.signing, "base64url")),
      vaultSalt: new Uint8Array(Buffer.from(device.vaultSalt as string, "base64url")),
    };
    const started = await session.call("recovery.start", { op: "recovery.start", ...fields, pin: pins.pin as string });
    const wait = started.readyAt - Date.now();
    if (wait > 0 && (!checked.wait || wait > MAX_RESTORE_WAIT_MS)) {
      if (json) {
        printJson(io, { state: "pending", sourceVaultId: started.sourceVaultId, readyAt: iso(started.readyAt) });
      } else {
        io.stdout(
          `recovery of ${started.sourceVaultId} requested; its devices can cancel it until ${iso(started.readyAt)}. Run this command again then.\n`,
        );
      }
      return;
    }
    if (wait > 0) {
      io.stderr(`waiting ${Math.ceil(wait / 1000)} s for the recovery delay (until ${iso(started.readyAt)})\n`);
      await new Promise((resolve) => setTimeout(resolve, wait + 50));
    }
    const done = await session.call("recovery.complete", {
      op: "recovery.complete",
      ...fields,
      pin: pins.pin as string,
    });
    const identityKey = b64url(done.identityKey);
    let identityRegistered = true;
    try {
      await registerIdentity(state, done.identityKey);
    } catch (err) {
      identityRegistered = false;
      io.stderr(
        `warning: the vault is restored, but the edge did not register its identity key (${(err as Error).message}); run vettid vault register-identity\n`,
      );
    }
    if (json) {
      printJson(io, {
        state: "restored",
        sourceVaultId: done.sourceVaultId,
        identityKey,
        items: done.items,
        identityRegistered,
      });
    } else {
      io.stdout(`restored ${done.items} items from ${done.sourceVaultId}; identity key ${identityKey}\n`);
    }
  },
});

/** `vettid vault cancel-recovery`. */
export const vaultCancelRecoveryCommand = vaultCommand({
  word: "cancel-recovery",
  summary: "cancel the recovery waiting on this vault (PIN and recovery secret)",
  synopsis: "[--recovery-secret-file S] [--pin P | --pin-file F]",
  about: `Cancels the recovery someone asked for with one of this vault's backups (vettid vault
status shows it while it waits). Needs the PIN in the same session, counted like an
unlock, and the vault's recovery secret: a device without both, even one whose PIN was
watched, cannot stop a recovery.
  --json             print {cancelled, stateVersion}`,
  optionsHelp: `${SECRET_HELP}\n${PIN_HELP}`,
  options: { "recovery-secret-file": { type: "string" }, ...PIN_OPTIONS },
  prepare: readUnlockPin,
  async check(values, _positional, io) {
    await sodiumReady();
    return { recoverySecret: readRecoverySecret(values, io) };
  },
  async run({ session, io, json, pins, checked }) {
    await session.unlock(pins.pin as string);
    const result = await session.call("recovery.cancel", {
      op: "recovery.cancel",
      pin: pins.pin as string,
      recoverySecret: checked.recoverySecret as Uint8Array,
    });
    if (json) printJson(io, { cancelled: true, stateVersion: result.stateVersion });
    else io.stdout("recovery cancelled\n");
  },
});

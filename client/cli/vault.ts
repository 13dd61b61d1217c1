import { encodeRecoverySecret } from "../../lib/recovery";
import { MAX_CHALLENGE_BYTES } from "../../lib/vault-protocol";
import { forgetChangesPosition } from "../device";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { parseHex } from "./document-input";
import { readPin } from "./pin-input";
import { b64url, EXIT, iso, PIN_HELP, PIN_OPTIONS, SESSIONS, str, unlockPin, vaultCommand } from "./vault-command";
import {
  vaultAddDeviceCommand,
  vaultApproveCommand,
  vaultDevicesCommand,
  vaultPairCommand,
  vaultRevokeCommand,
} from "./vault-devices";
import { registerIdentity } from "./vault-identity";
import { vaultDeleteCommand, vaultGetCommand, vaultListCommand, vaultPutCommand } from "./vault-items";
import { vaultCancelRecoveryCommand, vaultExportCommand, vaultRestoreCommand } from "./vault-recovery";

/** `vettid vault init`. */
export const vaultInitCommand = vaultCommand({
  word: "init",
  summary: "create this device's vault with a PIN (the founding device only); prints its identity key",
  synopsis: "[--pin P | --pin-file F]",
  about: `Creates the vault as its founding device: sends the device's signing key and the
vault salt from enrollment (DIR/device.json), which the enclave checks the vault id
commits to, and the PIN. Then registers the vault's identity key at the edge (a
request signed with the device key), which from then on accepts a revocation of
another device only with the vault's signed statement (vettid vault revoke). Prints
the vault's identity public key (base64url). If the edge cannot register it, the
vault is still created: a warning says so, and vettid vault register-identity
registers it later.

Also prints the vault's recovery secret, once: 52 symbols that, with an enclave, open
the vault's backups (vettid vault export / restore). Write it down and keep it apart
from your devices; the vault keeps only a key derived from it and cannot show it again.
  --json             print {stateVersion, identityKey, identityRegistered, recoverySecret}`,
  optionsHelp: PIN_HELP.replace("the PIN (", "the new vault's PIN ("),
  options: PIN_OPTIONS,
  async prepare(values, io, { device }) {
    if (device.pairing) {
      throw new Error("this device joined its vault by pairing; only the founding device initializes it");
    }
    if (!device.vaultSalt) {
      throw new Error(
        "this device did not found its vault (no vaultSalt in device.json); only the founder initializes it",
      );
    }
    return { pin: await readPin({ ...unlockPin(values), question: "new vault PIN: ", confirm: true }, io) };
  },
  async run({ session, io, json, pins, state }) {
    const { device } = state;
    const result = await session.call("vault.init", {
      op: "vault.init",
      pin: pins.pin as string,
      signingKey: new Uint8Array(Buffer.from(device.publicKeys.signing, "base64url")),
      vaultSalt: new Uint8Array(Buffer.from(device.vaultSalt as string, "base64url")),
    });
    const identityKey = b64url(result.identityKey);
    // The vault exists whatever the edge answers: a refusal is a warning with the
    // command that registers the key later, not a failed init.
    let identityRegistered = true;
    try {
      await registerIdentity(state, result.identityKey);
    } catch (err) {
      identityRegistered = false;
      io.stderr(
        `warning: the vault is created, but the edge did not register its identity key (${(err as Error).message}); until vettid vault register-identity succeeds, the edge refuses to revoke another device\n`,
      );
    }
    const recoverySecret = encodeRecoverySecret(result.recoverySecret);
    if (json) printJson(io, { stateVersion: result.stateVersion, identityKey, identityRegistered, recoverySecret });
    else {
      io.stdout(`${identityKey}\n`);
      io.stderr(
        `recovery secret (shown once; write it down and keep it apart from your devices):\n  ${recoverySecret}\n`,
      );
    }
  },
});

/** `vettid vault register-identity`. */
export const vaultRegisterIdentityCommand = vaultCommand({
  word: "register-identity",
  summary: "register the vault's identity key at the edge (the founding device; once, after init)",
  synopsis: "",
  about: `Registers the identity key this device pinned at vault init (DIR/vault.json) at the
edge, with a request signed by the device key; vault init does this itself, so this is
for when the edge could not be reached then. The edge keeps the first key it is given:
the same key again is accepted, another is refused (CONFLICT).
  --json             print {identityKey}`,
  async run({ session, io, json, state }) {
    const pinned = session.vault.known.identityKey;
    if (!pinned) throw new Error("this device has pinned no identity key: run vettid vault init or vault status first");
    if (!state.device.vaultSalt || state.device.pairing) {
      throw new Error("only the device that founded the vault registers its identity key");
    }
    await registerIdentity(state, new Uint8Array(Buffer.from(pinned, "base64url")));
    if (json) printJson(io, { identityKey: pinned });
    else io.stdout(`${pinned}\n`);
  },
});

/** `vettid vault unlock`. */
export const vaultUnlockCommand = vaultCommand({
  word: "unlock",
  summary: "check the PIN by unlocking (the unlock ends with the command)",
  synopsis: "",
  about: `Unlocks the vault with the PIN and locks it again: a check of the PIN (a wrong one
counts toward the back-off like any other attempt).
  --json             print {unlocked, stateVersion}`,
  unlocks: true,
  async run({ session, io, json }) {
    const stateVersion = session.vault.known.stateVersion;
    if (json) printJson(io, { unlocked: true, stateVersion });
    else io.stdout("PIN accepted\n");
  },
});

/** `vettid vault lock`. */
export const vaultLockCommand = vaultCommand({
  word: "lock",
  summary: "lock the vault in this command's session",
  synopsis: "",
  about: `Sends a lock. Since an unlock never outlives its command, this only ever locks its
own session; it is there for scripts that mirror an app.
  --json             print {locked, stateVersion}`,
  async run({ session, io, json }) {
    const result = await session.call("vault.lock", { op: "vault.lock" });
    if (json) printJson(io, { locked: true, stateVersion: result.stateVersion });
    else io.stdout("locked\n");
  },
});

/** `vettid vault pin`. */
export const vaultPinCommand = vaultCommand({
  word: "pin",
  summary: "change the PIN (--old P --new P)",
  synopsis: "[--old P | --old-file F] [--new P | --new-file F]",
  about: `Changes the PIN: unlocks with the current one and sets the new one.
  --json             print {changed, stateVersion}`,
  optionsHelp: `  --old P, --old-file F   the current PIN (neither: VETTID_PIN, else asked on the terminal)
  --new P, --new-file F   the new PIN (neither: VETTID_NEW_PIN, else asked twice on the terminal)`,
  options: {
    old: { type: "string" },
    "old-file": { type: "string" },
    new: { type: "string" },
    "new-file": { type: "string" },
  },
  async prepare(values, io) {
    const old = await readPin(
      {
        flag: "old",
        value: str(values, "old"),
        fileFlag: "old-file",
        file: str(values, "old-file"),
        env: "VETTID_PIN",
        question: "current PIN: ",
      },
      io,
    );
    const next = await readPin(
      {
        flag: "new",
        value: str(values, "new"),
        fileFlag: "new-file",
        file: str(values, "new-file"),
        env: "VETTID_NEW_PIN",
        question: "new PIN: ",
        confirm: true,
      },
      io,
    );
    return { old, next };
  },
  async run({ session, io, json, pins }) {
    await session.unlock(pins.old as string);
    const result = await session.call("pin.change", {
      op: "pin.change",
      pin: pins.old as string,
      newPin: pins.next as string,
    });
    if (json) printJson(io, { changed: true, stateVersion: result.stateVersion });
    else io.stdout("PIN changed\n");
  },
});

/** `vettid vault sign`. */
export const vaultSignCommand = vaultCommand({
  word: "sign",
  summary: "sign a challenge with the vault's identity key; prints the signature (hex)",
  synopsis: "--challenge HEX",
  about: `Signs the challenge bytes with the vault's Ed25519 identity key (the key never leaves
the enclave) and prints the 64-byte signature in hex.
  --json             print {challenge, signature, identityKey} (identityKey in base64url)`,
  optionsHelp: `  --challenge HEX    the bytes to sign (1..${MAX_CHALLENGE_BYTES})`,
  unlocks: true,
  options: { challenge: { type: "string" } },
  check(values) {
    const hex = str(values, "challenge");
    if (hex === undefined) throw new UsageError("--challenge is required");
    const challenge = parseHex(hex);
    if (!challenge || challenge.length === 0)
      throw new UsageError("--challenge must be hex (an even number of digits)");
    if (challenge.length > MAX_CHALLENGE_BYTES)
      throw new UsageError(`--challenge has at most ${MAX_CHALLENGE_BYTES} bytes`);
    return { challenge };
  },
  async run({ session, io, json, checked }) {
    const challenge = checked.challenge as Uint8Array;
    const result = await session.call("identity.sign", { op: "identity.sign", challenge });
    const signature = Buffer.from(result.signature).toString("hex");
    if (json) {
      printJson(io, {
        challenge: Buffer.from(challenge).toString("hex"),
        signature,
        identityKey: b64url(result.identityKey),
      });
    } else {
      io.stdout(`${signature}\n`);
    }
  },
});

/** `vettid vault status`. */
export const vaultStatusCommand = vaultCommand({
  word: "status",
  summary: "show whether the vault exists, its state version and the enclave release",
  synopsis: "",
  about: `Prints whether the vault is initialized, its state version, the identity key this
device knows, and the manifest release the enclave's attestation matched. When someone
asked to recover the vault from one of its backups, a warning says into which vault
and when it completes; cancel it with vettid vault cancel-recovery. Once a recovery
completed, the vault names the vault it moved into and opens nothing more.
  --json             print {initialized, unlocked, stateVersion, identityKey, release,
                     recovery: null | {targetVaultId, requestedAt, readyAt}, recoveredInto}`,
  async run({ session, io, json }) {
    const status = await session.call("vault.status", { op: "vault.status" });
    const known = session.vault.known;
    const identityKey = status.identityKey ? b64url(status.identityKey) : (known.identityKey ?? null);
    const release = session.release()?.id ?? null;
    if (json) {
      printJson(io, {
        initialized: status.initialized,
        unlocked: status.unlocked,
        stateVersion: status.stateVersion,
        identityKey,
        release,
        recovery: status.recovery
          ? {
              targetVaultId: status.recovery.targetVaultId,
              requestedAt: iso(status.recovery.requestedAt),
              readyAt: iso(status.recovery.readyAt),
            }
          : null,
        recoveredInto: status.recoveredInto,
      });
      return;
    }
    if (status.recoveredInto) {
      io.stderr(
        `warning: this vault was recovered into ${status.recoveredInto} from a backup; it opens nothing more\n`,
      );
    }
    if (status.recovery) {
      io.stderr(
        `warning: a recovery of this vault into ${status.recovery.targetVaultId} was asked for at ${iso(status.recovery.requestedAt)}; it completes at ${iso(status.recovery.readyAt)} unless cancelled (vettid vault cancel-recovery)\n`,
      );
    }
    const lines = [
      `initialized: ${status.initialized ? "yes" : "no"}`,
      `state_version: ${status.stateVersion}`,
      `identity_key: ${identityKey ?? "(unknown)"}`,
      `enclave_release: ${release ?? "(none)"} (manifest serial ${session.trust.manifest.serial})`,
    ];
    io.stdout(`${lines.join("\n")}\n`);
  },
});

/** `vettid vault audit`. */
export const vaultAuditCommand = vaultCommand({
  word: "audit",
  summary: "print the vault's sealed audit log of security events, its hash chain verified",
  synopsis: "",
  about: `Reads the vault's audit log (unlocks and failed PINs, PIN changes, the vault's
creation, and later device and backup events), verifies its hash chain from the
first entry to the head the enclave names, and checks that it extends the log this
device read last time (DIR/vault.json). Prints one line per entry, oldest first:
  SEQ  TIME  KIND  DEVICE  [key=value …]
  --json             print {entries: [{seq, at, kind, device, detail}], head: {seq, digest},
                     chainVerified: true}`,
  unlocks: true,
  async run({ session, io, json }) {
    const log = await session.vault.readAudit();
    const entries = log.entries.map((e) => ({
      seq: e.seq,
      at: iso(e.at),
      kind: e.kind,
      device: e.device,
      detail: e.detail,
    }));
    if (json) {
      printJson(io, { entries, head: { seq: log.head.seq, digest: b64url(log.head.digest) }, chainVerified: true });
      return;
    }
    const lines = entries.map((e) => {
      const detail = Object.entries(e.detail).map(([k, v]) => `${k}=${v}`);
      return [String(e.seq), e.at, e.kind, e.device, ...detail].join("  ");
    });
    io.stdout(lines.length > 0 ? `${lines.join("\n")}\n` : "");
  },
});

/** `vettid vault changes`. */
export const vaultChangesCommand = vaultCommand({
  word: "changes",
  summary: "print the changes to the vault's items since this device last looked, their chain verified",
  synopsis: "[--restart]",
  about: `Catches up with the changes other devices made to the vault's items (puts and
deletes) since this device last ran this command (DIR/vault.json), each once and in
order, their hash chain verified to continue from what this device saw and to end at
the head the enclave names. The first run only starts following: it prints where the
changes stand (list the items once). If the vault no longer keeps changes that old
(CHANGES_TRUNCATED), run vettid vault list, then vault changes --restart. Prints one
line per change, oldest first:
  SEQ  TIME  put NAME vVERSION TYPE   or   SEQ  TIME  deleted NAME
  --json             print {changes: [{seq, at, kind, name, type?, version?}], head: {seq, digest},
                     started, chainVerified: true}`,
  optionsHelp: "  --restart          forget this device's position and start following at the head",
  options: { restart: { type: "boolean" } },
  unlocks: true,
  check: (values) => ({ restart: values.restart === true }),
  async run({ session, io, json, checked, state }) {
    if (checked.restart === true) {
      session.vault.forgetChanges();
      forgetChangesPosition(state.dir);
    }
    type Line = { seq: number; at: string; kind: string; name: string; type?: string; version?: number };
    const changes: Line[] = [];
    const line = (c: Line) =>
      c.kind === "item.put"
        ? [String(c.seq), c.at, "put", c.name, `v${c.version}`, c.type].join("  ")
        : [String(c.seq), c.at, "deleted", c.name].join("  ");
    // each verified page is printed before the position moves past it (text), or kept (--json)
    const synced = await session.vault.syncChanges({
      onEvents: (events) => {
        const page = events.map((e) => ({
          seq: e.seq,
          at: iso(e.at),
          kind: e.kind,
          name: e.name,
          ...(e.kind === "item.put" ? { type: e.type, version: e.version } : {}),
        }));
        if (json) changes.push(...page);
        else if (page.length > 0) io.stdout(`${page.map(line).join("\n")}\n`);
      },
    });
    if (json) {
      printJson(io, {
        changes,
        head: { seq: synced.head.seq, digest: b64url(synced.head.digest) },
        started: synced.started,
        chainVerified: true,
      });
      return;
    }
    if (synced.started) {
      io.stdout(`following the vault's changes from ${synced.head.seq} (list the items once: vettid vault list)\n`);
    }
  },
});

const VAULT_COMMANDS = [
  vaultInitCommand,
  vaultUnlockCommand,
  vaultLockCommand,
  vaultPinCommand,
  vaultPutCommand,
  vaultGetCommand,
  vaultListCommand,
  vaultDeleteCommand,
  vaultSignCommand,
  vaultStatusCommand,
  vaultAuditCommand,
  vaultChangesCommand,
  vaultDevicesCommand,
  vaultAddDeviceCommand,
  vaultPairCommand,
  vaultApproveCommand,
  vaultRevokeCommand,
  vaultRegisterIdentityCommand,
  vaultExportCommand,
  vaultRestoreCommand,
  vaultCancelRecoveryCommand,
];

const GROUP_USAGE = `vettid vault <${VAULT_COMMANDS.map((c) => c.name.slice("vault ".length)).join(" | ")}> [options]`;

/** `vettid vault` without a known sub-command: prints the group's usage. */
export const vaultGroupCommand: Command = {
  name: "vault",
  summary: "E2E-sealed vault operations as this device (init, unlock, put, get, list, sign, audit, …)",
  usage: GROUP_USAGE,
  help: [
    "One end-to-end sealed vault operation as the device in --state DIR:",
    "",
    ...VAULT_COMMANDS.map((c) => `  ${c.usage}`),
    "",
    SESSIONS,
    "",
    "vettid vault <command> --help prints a command's options.",
    EXIT,
  ].join("\n"),
  async run(argv: string[], io: CliIo): Promise<number> {
    if (argv.length === 0) {
      io.stderr(`usage: ${GROUP_USAGE}\n`);
      return 2;
    }
    throw new UsageError(`unknown vault command "${argv[0]}"`);
  },
};

/** The vault commands, in help order. */
export const vaultCommands: Command[] = [...VAULT_COMMANDS, vaultGroupCommand];

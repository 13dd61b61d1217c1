import QRCode from "qrcode";
import { sodiumReady } from "../../lib/crypto";
import { encodePairingCode, identityFingerprint, type PairingCode, parsePairingCode } from "../../lib/pairing";
import type { DeviceAnswer } from "../../lib/vault-protocol";
import { createEdgeClient } from "../device";
import { printJson, UsageError } from "./command";
import { joinByCode } from "./pairing-join";
import { iso, PIN_HELP, PIN_OPTIONS, readUnlockPin, str, type Values, vaultCommand } from "./vault-command";

/** A device id from `--device`, as the protocol takes it. */
function deviceOption(values: Values): Record<string, unknown> {
  const deviceId = str(values, "device");
  if (deviceId === undefined) throw new UsageError("--device is required");
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(deviceId)) throw new UsageError("--device must be 1..64 of [A-Za-z0-9_-]");
  return { deviceId };
}

const deviceLine = (d: DeviceAnswer) =>
  [
    d.deviceId,
    d.status,
    d.fingerprint,
    `added ${iso(d.addedAt)}`,
    d.lastUsedAt === null ? "never used" : `last used ${iso(d.lastUsedAt)}`,
    ...(d.sas !== null && d.status === "pending" ? [`code ${d.sas}`] : []),
    JSON.stringify(d.label),
  ].join("  ");

/**
 * The pairing code as a QR code for a terminal (two modules per character, dark on
 * light, quiet zone included), by the `qrcode` library. The code's symbols and
 * hyphens are all in QR's alphanumeric set, so it encodes compactly.
 */
export function pairingQr(code: string): Promise<string> {
  return QRCode.toString(code, { type: "terminal", small: true, errorCorrectionLevel: "M" });
}

/** `vettid vault add-device`. */
export const vaultAddDeviceCommand = vaultCommand({
  word: "add-device",
  summary: "open a pairing for a new device (with the PIN); prints only the pairing code",
  synopsis: "[--qr] [--pin P | --pin-file F]",
  about: `Asks the vault for a single-use pairing secret (the PIN is checked again in the same
session, counted like an unlock), asks this device's edge for a single-use pairing
invitation into the vault (a request signed with the device key), and prints only
the one code that carries both and the vault's identity fingerprint: 68 symbols in
17 groups of four, good for one device within 10 minutes. On the new device run
vettid enroll --invite CODE --state DIR, compare the code both devices show, then
approve the new device here (vettid vault approve). The edge never sees the secret; a
restart of the vault's runtime voids the code. With --qr it also prints the code as a
QR code for the terminal, for a new device that scans it.
  --json             print {code, expiresAt, invitationId}`,
  optionsHelp: `  --qr               also print the code as a QR code (terminal; not with --json)\n${PIN_HELP}`,
  options: { qr: { type: "boolean" }, ...PIN_OPTIONS },
  check(values) {
    if (values.qr === true && values.json === true) {
      throw new UsageError("--qr prints for a terminal; with --json, make a QR code of the code field yourself");
    }
    return { qr: values.qr === true };
  },
  prepare: readUnlockPin,
  async run({ session, io, json, pins, state, checked }) {
    await session.unlock(pins.pin as string);
    const result = await session.call("device.pair.start", { op: "device.pair.start", pin: pins.pin as string });
    try {
      // checked against the key this device pinned (DIR/vault.json) before it is put in the code
      const { identityKey } = await session.call("identity.key", { op: "identity.key" });
      const invitation = await createEdgeClient({ baseUrl: state.device.api }).createPairingInvitation(
        state.device.deviceId,
        state.keys,
      );
      const code = encodePairingCode({
        invitationCode: invitation.code,
        secret: result.secret,
        identityFingerprint: identityFingerprint(identityKey),
      });
      const expiresAt = Math.min(result.expiresAt, Date.parse(invitation.expiresAt));
      if (json) printJson(io, { code, expiresAt: iso(expiresAt), invitationId: invitation.invitationId });
      else {
        io.stdout(`${code}\n`);
        if (checked.qr === true) io.stdout(await pairingQr(code));
      }
    } finally {
      result.secret.fill(0);
    }
  },
});

/** `vettid vault pair`. */
export const vaultPairCommand = vaultCommand({
  word: "pair",
  summary: "prove a pairing code again as this (already enrolled) device; prints the code to compare",
  synopsis: "--code CODE [--label TEXT]",
  about: `vettid enroll --invite CODE enrolls a new device and joins its vault in one go. When
the join did not complete (the vault was unreachable, the code expired), this runs it
again for the device in --state DIR, with the same code or a fresh one from
vettid vault add-device (its invitation part is not used: the device is enrolled).
Checks that the vault's identity key is the one the code names (refusing another
vault with VAULT_IDENTITY_MISMATCH before anything is proved), proves the code inside
this device's own end-to-end session (the code never leaves the device; only a proof
bound to this device's keys and session does), and prints the short authentication
string and this device's key fingerprint. Compare both with what the approving
device shows (vettid vault approve); this device opens nothing until it is approved.
  --json             print {deviceId, status: "pending", sas, fingerprint, identityKey}`,
  optionsHelp: `  --code CODE        the pairing code vettid vault add-device printed
  --label TEXT       what to call this device in device lists (default: "new device")`,
  options: { code: { type: "string" }, label: { type: "string" } },
  async check(values) {
    const code = str(values, "code");
    if (code === undefined) throw new UsageError("--code is required");
    await sodiumReady();
    const label = str(values, "label") ?? "new device";
    if (label.length < 1 || label.length > 64) throw new UsageError("--label must be 1..64 characters");
    return { code: pairingCodeOption("--code", code), label };
  },
  async runAlone({ io, json, checked, state, flags }) {
    const code = checked.code as PairingCode;
    try {
      const result = await joinByCode(state, code, checked.label as string, flags, io);
      if (json) printJson(io, { deviceId: state.device.deviceId, status: "pending", ...result });
      else io.stdout(`code ${result.sas}\nfingerprint ${result.fingerprint}\n`);
    } finally {
      code.secret.fill(0);
    }
  },
});

/** A pairing code from the command line, as a usage error when it does not parse. */
export function pairingCodeOption(flag: string, text: string): PairingCode {
  try {
    return parsePairingCode(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** `vettid vault devices`. */
export const vaultDevicesCommand = vaultCommand({
  word: "devices",
  summary: "list the vault's devices: authorized and pending, with fingerprints and last use",
  synopsis: "",
  about: `Lists the devices the vault's sealed state knows: authorized ones and those waiting
for approval, each with its key fingerprint, when it was added and last unlocked, and
for a pending one the code to compare with it.
  --json             print {devices: [{deviceId, status, label, fingerprint, addedAt, lastUsedAt, sas}]}`,
  async run({ session, io, json }) {
    const { devices } = await session.call("devices.list", { op: "devices.list" });
    if (json) {
      printJson(io, {
        devices: devices.map((d) => ({
          ...d,
          addedAt: iso(d.addedAt),
          lastUsedAt: d.lastUsedAt === null ? null : iso(d.lastUsedAt),
        })),
      });
    } else for (const d of devices) io.stdout(`${deviceLine(d)}\n`);
  },
});

/** `vettid vault approve`. */
export const vaultApproveCommand = vaultCommand({
  word: "approve",
  summary: "approve a pending device (with the PIN); prints its fingerprint and code",
  synopsis: "--device ID [--pin P | --pin-file F]",
  about: `Approves the device that proved the pairing code (ID as in its device.json). The
vault approves the keys that proved the code, never keys named here; the PIN is
checked again in the same session, counted like an unlock. Prints the approved key's
fingerprint and the short authentication string: both must match what the new
device showed.
  --json             print {device: {deviceId, status, label, fingerprint, addedAt, lastUsedAt, sas}}`,
  optionsHelp: `  --device ID        the pending device\n${PIN_HELP}`,
  options: { device: { type: "string" }, ...PIN_OPTIONS },
  check: deviceOption,
  prepare: readUnlockPin,
  async run({ session, io, json, checked, pins }) {
    await session.unlock(pins.pin as string);
    const { device } = await session.call("device.approve", {
      op: "device.approve",
      deviceId: checked.deviceId as string,
      pin: pins.pin as string,
    });
    if (json) printJson(io, { device: { ...device, addedAt: iso(device.addedAt), lastUsedAt: null } });
    else io.stdout(`approved ${device.deviceId}\nfingerprint ${device.fingerprint}\ncode ${device.sas ?? "-"}\n`);
  },
});

/** `vettid vault revoke`. */
export const vaultRevokeCommand = vaultCommand({
  word: "revoke",
  summary: "remove a device from the vault (with the PIN)",
  synopsis: "--device ID [--pin P | --pin-file F]",
  about: `Removes the device from the vault's sealed state (authorized or pending) and ends its
sessions; the PIN is checked again in the same session, counted like an unlock. The
vault answers a statement of the removal signed with its identity key, which this
device then hands to the edge to revoke the device's NATS access (the edge accepts a
revocation of another device only with that statement).
  --json             print {deviceId, revokedAt, statement, signature} (base64url)`,
  optionsHelp: `  --device ID        the device to remove\n${PIN_HELP}`,
  options: { device: { type: "string" }, ...PIN_OPTIONS },
  check: deviceOption,
  prepare: readUnlockPin,
  async run({ session, io, json, checked, pins, state }) {
    await session.unlock(pins.pin as string);
    const result = await session.call("device.revoke", {
      op: "device.revoke",
      deviceId: checked.deviceId as string,
      pin: pins.pin as string,
    });
    const statement = Buffer.from(result.statement).toString("base64url");
    const signature = Buffer.from(result.signature).toString("base64url");
    try {
      await createEdgeClient({ baseUrl: state.device.api }).revokeDevice(
        result.deviceId,
        state.device.deviceId,
        state.keys,
        { statement: result.statement, signature: result.signature },
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(
        `${result.deviceId} is removed from the vault, but the edge did not revoke its NATS access (${message}); statement ${statement}, signature ${signature}`,
      );
    }
    if (json) {
      printJson(io, {
        deviceId: result.deviceId,
        revokedAt: iso(result.revokedAt),
        statement,
        signature,
      });
    } else io.stdout(`revoked ${result.deviceId}\n`);
  },
});

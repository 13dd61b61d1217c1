import { encodePairingCode, parsePairingCode } from "../../lib/pairing";
import type { DeviceAnswer } from "../../lib/vault-protocol";
import { printJson, UsageError } from "./command";
import { readPin } from "./pin-input";
import { iso, PIN_HELP, PIN_OPTIONS, str, unlockPin, type Values, vaultCommand } from "./vault-command";

/** A device id from `--device`, as the protocol takes it. */
function deviceOption(values: Values): Record<string, unknown> {
  const deviceId = str(values, "device");
  if (deviceId === undefined) throw new UsageError("--device is required");
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(deviceId)) throw new UsageError("--device must be 1..64 of [A-Za-z0-9_-]");
  return { deviceId };
}

const readUnlockPin = async (values: Values, io: Parameters<typeof readPin>[1]) => ({
  pin: await readPin(unlockPin(values), io),
});

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

/** `vettid vault add-device`. */
export const vaultAddDeviceCommand = vaultCommand({
  word: "add-device",
  summary: "open a pairing for a new device (with the PIN); prints only the pairing code",
  synopsis: "[--pin P | --pin-file F]",
  about: `Asks the vault for a single-use pairing secret (the PIN is checked again in the same
session, counted like an unlock) and prints only the code that carries it: 32
symbols in groups of four, good for one join within 10 minutes and 3 attempts. Give
it to the new device (vettid vault pair --code CODE), then approve that device here.
A restart of the vault's runtime voids the code. (--qr is not available: no QR code
library is part of this client.)
  --json             print {code, expiresAt}`,
  optionsHelp: PIN_HELP,
  options: PIN_OPTIONS,
  prepare: readUnlockPin,
  async run({ session, io, json, pins }) {
    await session.unlock(pins.pin as string);
    const result = await session.call("device.pair.start", { op: "device.pair.start", pin: pins.pin as string });
    const code = encodePairingCode(result.secret);
    result.secret.fill(0);
    if (json) printJson(io, { code, expiresAt: iso(result.expiresAt) });
    else io.stdout(`${code}\n`);
  },
});

/** `vettid vault pair`. */
export const vaultPairCommand = vaultCommand({
  word: "pair",
  summary: "join the vault as a new device with a pairing code; prints the code to compare",
  synopsis: "--code CODE [--label TEXT]",
  about: `Proves the pairing code inside this device's own end-to-end session (the code never
leaves the device; only a proof bound to this device's keys and session does), and
prints the short authentication string and this device's key fingerprint. Compare
both with what the approving device shows (vettid vault approve); this device opens
nothing until it is approved.
  --json             print {deviceId, sas, fingerprint, status: "pending"}`,
  optionsHelp: `  --code CODE        the pairing code vettid vault add-device printed
  --label TEXT       what to call this device in device lists (default: "new device")`,
  options: { code: { type: "string" }, label: { type: "string" } },
  check(values) {
    const code = str(values, "code");
    if (code === undefined) throw new UsageError("--code is required");
    let secret: Uint8Array;
    try {
      secret = parsePairingCode(code);
    } catch (err) {
      throw new UsageError(`--code: ${(err as Error).message}`);
    }
    const label = str(values, "label") ?? "new device";
    if (label.length < 1 || label.length > 64) throw new UsageError("--label must be 1..64 characters");
    return { secret, label };
  },
  async run({ session, io, json, checked, state }) {
    const secret = checked.secret as Uint8Array;
    try {
      const result = await session.vault.joinPairing({
        secret,
        signingKey: new Uint8Array(Buffer.from(state.device.publicKeys.signing, "base64url")),
        label: checked.label as string,
      });
      if (json) printJson(io, { deviceId: state.device.deviceId, status: "pending", ...result });
      else io.stdout(`code ${result.sas}\nfingerprint ${result.fingerprint}\n`);
    } finally {
      secret.fill(0);
    }
  },
});

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
vault answers a statement of the removal signed with its identity key.
  --json             print {deviceId, revokedAt, statement, signature} (base64url)`,
  optionsHelp: `  --device ID        the device to remove\n${PIN_HELP}`,
  options: { device: { type: "string" }, ...PIN_OPTIONS },
  check: deviceOption,
  prepare: readUnlockPin,
  async run({ session, io, json, checked, pins }) {
    await session.unlock(pins.pin as string);
    const result = await session.call("device.revoke", {
      op: "device.revoke",
      deviceId: checked.deviceId as string,
      pin: pins.pin as string,
    });
    if (json) {
      printJson(io, {
        deviceId: result.deviceId,
        revokedAt: iso(result.revokedAt),
        statement: Buffer.from(result.statement).toString("base64url"),
        signature: Buffer.from(result.signature).toString("base64url"),
      });
    } else io.stdout(`revoked ${result.deviceId}\n`);
  },
});

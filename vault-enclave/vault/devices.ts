import { VettidError } from "../../lib/errors";
import { deviceFingerprint } from "../../lib/pairing";
import type { DeviceAnswer } from "../../lib/vault-protocol";
import { type DeviceKey, MAX_DEVICES, MAX_PENDING_DEVICES, type OuterState, type PendingDevice } from "../state";

/**
 * The vault's device list as pure changes to its outer state (docs/protocol.md
 * §Pairing, §Approval and revocation): who may open the vault is decided here, inside
 * the enclave, from the sealed state alone. Each function returns the next outer
 * state (version + 1) or throws; nothing is written here.
 */

/** Records a device that proved the pairing secret as pending. */
export function addPending(outer: OuterState, device: PendingDevice): OuterState {
  assertCanAddPending(outer, device.deviceId);
  return { ...outer, stateVersion: outer.stateVersion + 1, pending: [...outer.pending, copyPending(device)] };
}

/**
 * Whether `deviceId` could be recorded as pending: checked before a pairing proof uses
 * the secret up, so a proof that could not be recorded leaves the pairing open.
 * @throws VettidError `CONFLICT` when it is authorized or pending already, or the list is full.
 */
export function assertCanAddPending(outer: OuterState, deviceId: string): void {
  if (outer.devices.some((d) => d.deviceId === deviceId)) {
    throw new VettidError("CONFLICT", "this device is already authorized for the vault");
  }
  if (outer.pending.some((d) => d.deviceId === deviceId)) {
    throw new VettidError("CONFLICT", "this device already waits for approval");
  }
  if (outer.pending.length >= MAX_PENDING_DEVICES) {
    throw new VettidError(
      "CONFLICT",
      `${MAX_PENDING_DEVICES} devices already wait for approval; approve or revoke one`,
    );
  }
}

/**
 * Moves the pending device `deviceId` to the authorized list, with the keys it proved
 * the secret with — never keys from the request, which names only the id.
 * @throws VettidError `NOT_FOUND` when no such device waits; `CONFLICT` when the list is full.
 */
export function approvePending(outer: OuterState, deviceId: string): { outer: OuterState; device: DeviceKey } {
  const pending = outer.pending.find((d) => d.deviceId === deviceId);
  if (!pending) throw new VettidError("NOT_FOUND", "no device by that id waits for approval");
  if (outer.devices.length >= MAX_DEVICES) {
    throw new VettidError("CONFLICT", `the vault holds ${MAX_DEVICES} devices already; revoke one first`);
  }
  const device: DeviceKey = {
    deviceId: pending.deviceId,
    signingPublicKey: new Uint8Array(pending.signingPublicKey),
    x25519PublicKey: new Uint8Array(pending.x25519PublicKey),
    addedAt: pending.addedAt,
    label: pending.label,
    lastUsedAt: null,
    sas: pending.sas,
  };
  return {
    outer: {
      ...outer,
      stateVersion: outer.stateVersion + 1,
      devices: [...outer.devices, device],
      pending: outer.pending.filter((d) => d.deviceId !== deviceId),
    },
    device,
  };
}

/**
 * Removes `deviceId`, authorized or pending. The last authorized device cannot be
 * removed: the vault would have nobody left to open it.
 * @throws VettidError `NOT_FOUND`, or `CONFLICT` for the last authorized device.
 */
export function removeDevice(outer: OuterState, deviceId: string): OuterState {
  const authorized = outer.devices.some((d) => d.deviceId === deviceId);
  const pending = outer.pending.some((d) => d.deviceId === deviceId);
  if (!authorized && !pending) throw new VettidError("NOT_FOUND", "no device by that id");
  if (authorized && outer.devices.length === 1) {
    throw new VettidError("CONFLICT", "this is the vault's last authorized device");
  }
  return {
    ...outer,
    stateVersion: outer.stateVersion + 1,
    devices: outer.devices.filter((d) => d.deviceId !== deviceId),
    pending: outer.pending.filter((d) => d.deviceId !== deviceId),
  };
}

/** Records a successful unlock by `deviceId` (in the write that resets the PIN counter). */
export function markUsed(outer: OuterState, deviceId: string, at: number): OuterState {
  return { ...outer, devices: outer.devices.map((d) => (d.deviceId === deviceId ? { ...d, lastUsedAt: at } : d)) };
}

/** A device as `devices.list` answers it. */
export function deviceAnswer(device: DeviceKey | PendingDevice, status: DeviceAnswer["status"]): DeviceAnswer {
  return {
    deviceId: device.deviceId,
    status,
    label: device.label,
    fingerprint: deviceFingerprint(device.signingPublicKey, device.x25519PublicKey),
    addedAt: device.addedAt,
    lastUsedAt: "lastUsedAt" in device ? device.lastUsedAt : null,
    sas: device.sas,
  };
}

/** Every device of the vault: the authorized ones, then those waiting for approval. */
export function listDevices(outer: OuterState): DeviceAnswer[] {
  return [
    ...outer.devices.map((d) => deviceAnswer(d, "authorized")),
    ...outer.pending.map((d) => deviceAnswer(d, "pending")),
  ];
}

function copyPending(device: PendingDevice): PendingDevice {
  return {
    ...device,
    signingPublicKey: new Uint8Array(device.signingPublicKey),
    x25519PublicKey: new Uint8Array(device.x25519PublicKey),
  };
}

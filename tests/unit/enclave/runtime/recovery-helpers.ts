/**
 * Backup and recovery requests as a device sends them, for the recovery tests: a
 * backup exported with the PIN and the recovery secret, and `recovery.start` /
 * `recovery.complete` into `who`'s fresh vault (its commitment keys, the PIN).
 */
import type { VaultClient } from "../../../../client/vault";
import { type Person, PIN } from "./harness";

/** A backup of `phone`'s vault (its session unlocked). */
export const exported = async (phone: VaultClient, recoverySecret: Uint8Array) =>
  (await phone.call("backup.export", { op: "backup.export", pin: PIN, recoverySecret })).backup;

const fields = (who: Person, backup: Uint8Array, recoverySecret: Uint8Array) => ({
  backup,
  recoverySecret,
  signingKey: who.signing.publicKey,
  vaultSalt: who.vaultSalt,
});

/** `recovery.start` of `backup` into `who`'s fresh vault. */
export const start = (device: VaultClient, who: Person, backup: Uint8Array, secret: Uint8Array, pin = PIN) =>
  device.call("recovery.start", { op: "recovery.start", ...fields(who, backup, secret), pin });

/** `recovery.complete` of `backup` into `who`'s fresh vault. */
export const complete = (device: VaultClient, who: Person, backup: Uint8Array, secret: Uint8Array, pin = PIN) =>
  device.call("recovery.complete", { op: "recovery.complete", ...fields(who, backup, secret), pin });

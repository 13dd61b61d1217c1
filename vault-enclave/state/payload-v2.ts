import type { $ZodIssue } from "zod/v4/core";
import { MAX_AUDIT_ENTRY_BYTES } from "../../lib/vault-audit";
import * as z from "../../lib/zod";
import { checkAuditLog } from "./audit-log";
import { encodePayload, type PayloadObject } from "./cbor";
import {
  DIGEST_BYTES,
  MAX_AUDIT_TAIL_ENTRIES,
  MAX_DEVICE_LABEL_LENGTH,
  MAX_DEVICES,
  MAX_PENDING_DEVICES,
  MAX_TIME_MS,
  PIN_SALT_BYTES,
  PUBLIC_KEY_BYTES,
  SAS_PATTERN,
} from "./constants";
import { STATE_REJECTIONS, StateInvalid, StateRejected } from "./errors";
import { checkArgon2idParams } from "./keys";
import type { OuterWithoutRecovery } from "./types";

/**
 * The outer payload of format 2: format 1's outer map plus the audit log's head
 * (docs/decisions/0058). The inner payload is format 1's (payload-v1.ts, inner format
 * 1), unchanged, so an outer-only rewrite of a format 1 blob can move it to format 2
 * and keep its inner layer byte for byte.
 *
 * Outer: `{vaultId, stateVersion, pin: {salt, kdf: {opsLimit, memLimitBytes},
 * verifier}, attempts: {failures, lockedUntil, lastFailureAt}, devices: [{deviceId,
 * signingPublicKey, x25519PublicKey, addedAt, label, lastUsedAt, sas}], pending:
 * [{deviceId, signingPublicKey, x25519PublicKey, addedAt, label, sas}], audit:
 * {nextSeq, base, tail: [entry bytes]}, inner: {format, version, digest}}`.
 *
 * `lastUsedAt` (null or a time), `sas` (null or 6 digits) and `pending` (devices that
 * proved a pairing secret and wait for approval, docs/decisions/0061) were decided
 * before format 2 was first released, so they are part of format 2 from its start.
 *
 * This file never changes once released.
 */

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const LONE_SURROGATE = /\p{Cs}/u;

const id = z.string().check(z.regex(ID, "must be 1-64 of [A-Za-z0-9_-]"));
const text = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.refine((s) => !LONE_SURROGATE.test(s), "must be well-formed Unicode"),
  );
const bytes = (length: number) =>
  z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === length, `must be ${length} bytes`);
const bytesWithin = (min: number, max: number) =>
  z.custom<Uint8Array>(
    (v) => v instanceof Uint8Array && v.length >= min && v.length <= max,
    `must be ${min} to ${max} bytes`,
  );
const count = z.int().check(z.gte(0));
const positive = z.int().check(z.gte(1));
const time = z.int().check(z.gte(0), z.lte(MAX_TIME_MS));

const Argon2idSchema = z.strictObject({ opsLimit: positive, memLimitBytes: positive }).check(
  z.refine((p) => {
    try {
      checkArgon2idParams(p);
      return true;
    } catch {
      return false;
    }
  }, "Argon2id parameters out of bounds"),
);

const DeviceSchema = z.strictObject({
  deviceId: id,
  signingPublicKey: bytes(PUBLIC_KEY_BYTES),
  x25519PublicKey: bytes(PUBLIC_KEY_BYTES),
  addedAt: time,
  label: text(MAX_DEVICE_LABEL_LENGTH),
  lastUsedAt: z.nullable(time),
  sas: z.nullable(z.string().check(z.regex(SAS_PATTERN, "must be 6 digits"))),
});

const PendingSchema = z.strictObject({
  deviceId: id,
  signingPublicKey: bytes(PUBLIC_KEY_BYTES),
  x25519PublicKey: bytes(PUBLIC_KEY_BYTES),
  addedAt: time,
  label: text(MAX_DEVICE_LABEL_LENGTH),
  sas: z.string().check(z.regex(SAS_PATTERN, "must be 6 digits")),
});

const AuditSchema = z.strictObject({
  nextSeq: positive,
  base: bytes(DIGEST_BYTES),
  tail: z.array(bytesWithin(1, MAX_AUDIT_ENTRY_BYTES)).check(z.maxLength(MAX_AUDIT_TAIL_ENTRIES)),
});

/** Format 2's outer schema; format 3 extends it (payload-v3.ts). */
export const OuterSchemaV2 = z.strictObject({
  vaultId: id,
  stateVersion: positive,
  pin: z.strictObject({ salt: bytes(PIN_SALT_BYTES), kdf: Argon2idSchema, verifier: bytes(DIGEST_BYTES) }),
  attempts: z.strictObject({ failures: count, lockedUntil: z.nullable(time), lastFailureAt: z.nullable(time) }),
  devices: z.array(DeviceSchema).check(
    z.maxLength(MAX_DEVICES),
    z.refine((list) => new Set(list.map((d) => d.deviceId)).size === list.length, "device ids must be unique"),
  ),
  pending: z.array(PendingSchema).check(
    z.maxLength(MAX_PENDING_DEVICES),
    z.refine((list) => new Set(list.map((d) => d.deviceId)).size === list.length, "pending ids must be unique"),
  ),
  audit: AuditSchema,
  inner: z.strictObject({ format: positive, version: positive, digest: bytes(DIGEST_BYTES) }),
});

/**
 * Encodes an outer state (with its inner reference) as the format 2 payload.
 * @throws StateRejected `VALIDATION_FAILED` naming the first field out of bounds.
 */
export function encodeOuterV2(outer: OuterWithoutRecovery): Uint8Array {
  const payload = outerPayloadV2(outer);
  checkForWrite(OuterSchemaV2, payload);
  checkOuterV2(outer);
  return encodePayload(payload);
}

/** The format 2 outer payload of `outer`, before any check (format 3 adds to it). */
export function outerPayloadV2(outer: OuterWithoutRecovery) {
  return {
    vaultId: outer.vaultId,
    stateVersion: outer.stateVersion,
    pin: {
      salt: outer.pin.salt,
      kdf: { opsLimit: outer.pin.kdf.opsLimit, memLimitBytes: outer.pin.kdf.memLimitBytes },
      verifier: outer.pin.verifier,
    },
    attempts: {
      failures: outer.attempts.failures,
      lockedUntil: outer.attempts.lockedUntil,
      lastFailureAt: outer.attempts.lastFailureAt,
    },
    devices: outer.devices.map((d) => ({
      deviceId: d.deviceId,
      signingPublicKey: d.signingPublicKey,
      x25519PublicKey: d.x25519PublicKey,
      addedAt: d.addedAt,
      label: d.label,
      lastUsedAt: d.lastUsedAt,
      sas: d.sas,
    })),
    pending: outer.pending.map((d) => ({
      deviceId: d.deviceId,
      signingPublicKey: d.signingPublicKey,
      x25519PublicKey: d.x25519PublicKey,
      addedAt: d.addedAt,
      label: d.label,
      sas: d.sas,
    })),
    audit: { nextSeq: outer.audit.nextSeq, base: outer.audit.base, tail: [...outer.audit.tail] },
    inner: { format: outer.inner.format, version: outer.inner.version, digest: outer.inner.digest },
  };
}

/**
 * The rules of a format 2 outer state beyond its schema: no device both pending and
 * authorized, an audit log whose chain holds.
 * @throws StateRejected `VALIDATION_FAILED`.
 */
export function checkOuterV2(outer: OuterWithoutRecovery): void {
  if (!disjoint(outer)) {
    throw new StateRejected("VALIDATION_FAILED", "outer.pending: a device is both pending and authorized", {
      path: "outer.pending",
    });
  }
  try {
    checkAuditLog(outer.audit, outer.vaultId);
  } catch (err) {
    throw new StateRejected("VALIDATION_FAILED", (err as Error).message, { path: "outer.audit" });
  }
}

/**
 * Checks a decoded outer payload of format 2, its audit log included.
 * @throws StateInvalid `payload_invalid` naming the first field that does not match.
 */
export function decodeOuterV2(value: unknown): OuterWithoutRecovery {
  return checkDecodedOuter(OuterSchemaV2, value);
}

/**
 * Checks a decoded outer payload against `schema` (format 2's or one extending it)
 * and format 2's rules beyond the schema.
 * @throws StateInvalid `payload_invalid` naming the first field that does not match.
 */
export function checkDecodedOuter<T extends OuterWithoutRecovery>(schema: z.ZodMiniType<T>, value: unknown): T {
  const result = z.safeParse(schema, value);
  if (!result.success) {
    const issue = result.error.issues[0] as $ZodIssue;
    const path = ["outer", ...issue.path.map(String)].join(".");
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, `${path}: ${issue.message}`, result.error);
  }
  const outer = result.data;
  if (!disjoint(outer)) {
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, "outer.pending: a device is both pending and authorized");
  }
  checkAuditLog(outer.audit, outer.vaultId);
  return outer;
}

/** No device id is both authorized and pending. */
function disjoint(outer: Pick<OuterWithoutRecovery, "devices" | "pending">): boolean {
  const ids = new Set(outer.devices.map((d) => d.deviceId));
  return !outer.pending.some((d) => ids.has(d.deviceId));
}

export function checkForWrite<T>(schema: z.ZodMiniType<T>, payload: unknown): asserts payload is PayloadObject {
  const result = z.safeParse(schema, payload);
  if (!result.success) {
    const issue = result.error.issues[0] as $ZodIssue;
    const path = ["outer", ...issue.path.map(String)].join(".");
    throw new StateRejected("VALIDATION_FAILED", `${path}: ${issue.message}`, { path });
  }
}

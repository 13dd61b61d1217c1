import type { $ZodIssue } from "zod/v4/core";
import * as z from "../../lib/zod";
import { encodePayload, type PayloadObject } from "./cbor";
import {
  DIGEST_BYTES,
  IDENTITY_SECRET_KEY_BYTES,
  ITEM_TYPES,
  MAX_DEVICE_LABEL_LENGTH,
  MAX_DEVICES,
  MAX_ITEM_NAME_LENGTH,
  MAX_ITEM_VALUE_BYTES,
  MAX_ITEMS,
  MAX_TIME_MS,
  PIN_SALT_BYTES,
  PUBLIC_KEY_BYTES,
  RECOVERY_VERIFIER_BYTES,
} from "./constants";
import { STATE_REJECTIONS, StateInvalid, StateRejected } from "./errors";
import { checkArgon2idParams } from "./keys";
import type { InnerState, OuterState, OuterWithoutAudit } from "./types";

/**
 * The plaintext payloads of format 1, one CBOR map per layer (field names as in
 * types.ts). The same schemas check a state before it is sealed and after it is
 * opened: a state that would not read back is never written, and an authenticated
 * payload that does not match (a format bug; the host cannot produce one) is refused
 * with a typed error instead of reaching the runtime half-decoded.
 *
 * Outer: `{vaultId, stateVersion, pin: {salt, kdf: {opsLimit, memLimitBytes},
 * verifier}, attempts: {failures, lockedUntil, lastFailureAt}, devices: [{deviceId,
 * signingPublicKey, x25519PublicKey, addedAt, label}], inner: {format, version, digest}}`.
 *
 * Inner: `{format: 1, items: [{name, type, value, version, createdAt, updatedAt}],
 * identitySecretKey, recoveryVerifier}`. The field named `recoveryVerifier` holds the
 * vault's recovery key (`InnerState.recoveryKey`, docs/decisions/0068): the slot was
 * reserved under that name before the recovery flow was designed, and the name on the
 * wire stays.
 */

/** The inner payload format this file writes and reads. */
export const INNER_FORMAT_V1 = 1;

/** Vault and device ids: one NATS subject token (lib/subjects `ID_PATTERN`). */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A lone surrogate would encode as invalid UTF-8, which strict CBOR refuses on the way back. */
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
const bytesUpTo = (max: number) =>
  z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length <= max, `must be at most ${max} bytes`);
const count = z.int().check(z.gte(0));
const positive = z.int().check(z.gte(1));
const time = z.int().check(z.gte(0), z.lte(MAX_TIME_MS));

const unique = <T>(key: (value: T) => string, what: string) =>
  z.refine<T[]>((list) => new Set(list.map(key)).size === list.length, `${what} must be unique`);

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
});

const OuterSchema = z.strictObject({
  vaultId: id,
  stateVersion: positive,
  pin: z.strictObject({ salt: bytes(PIN_SALT_BYTES), kdf: Argon2idSchema, verifier: bytes(DIGEST_BYTES) }),
  attempts: z.strictObject({ failures: count, lockedUntil: z.nullable(time), lastFailureAt: z.nullable(time) }),
  devices: z.array(DeviceSchema).check(
    z.maxLength(MAX_DEVICES),
    unique((d: z.infer<typeof DeviceSchema>) => d.deviceId, "device ids"),
  ),
  inner: z.strictObject({ format: positive, version: positive, digest: bytes(DIGEST_BYTES) }),
});

const ItemSchema = z
  .strictObject({
    name: text(MAX_ITEM_NAME_LENGTH),
    type: z.enum(ITEM_TYPES),
    value: bytesUpTo(MAX_ITEM_VALUE_BYTES),
    version: positive,
    createdAt: time,
    updatedAt: time,
  })
  .check(z.refine((i) => i.updatedAt >= i.createdAt, "updatedAt must not precede createdAt"));

const InnerSchema = z.strictObject({
  format: z.literal(INNER_FORMAT_V1),
  items: z.array(ItemSchema).check(
    z.maxLength(MAX_ITEMS),
    unique((i: z.infer<typeof ItemSchema>) => i.name, "item names"),
  ),
  identitySecretKey: bytes(IDENTITY_SECRET_KEY_BYTES),
  recoveryVerifier: z.nullable(bytes(RECOVERY_VERIFIER_BYTES)),
});

/**
 * Encodes an outer state (with its inner reference) as the format 1 payload.
 * @throws StateRejected `VALIDATION_FAILED` naming the first field out of bounds.
 */
export function encodeOuterV1(outer: OuterState): Uint8Array {
  const payload = {
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
    })),
    inner: { format: outer.inner.format, version: outer.inner.version, digest: outer.inner.digest },
  };
  checkForWrite(OuterSchema, payload, "outer");
  return encodePayload(payload);
}

/**
 * Encodes an inner state as the format 1 payload.
 * @throws StateRejected `VALIDATION_FAILED` naming the first field out of bounds.
 */
export function encodeInnerV1(inner: InnerState): Uint8Array {
  const payload = {
    format: INNER_FORMAT_V1,
    items: inner.items.map((i) => ({
      name: i.name,
      type: i.type,
      value: i.value,
      version: i.version,
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
    })),
    identitySecretKey: inner.identitySecretKey,
    recoveryVerifier: inner.recoveryKey,
  };
  checkForWrite(InnerSchema, payload, "inner");
  return encodePayload(payload);
}

/**
 * Checks a decoded outer payload.
 * @throws StateInvalid `payload_invalid` naming the first field that does not match.
 */
export function decodeOuterV1(value: unknown): OuterWithoutAudit {
  return checkAfterRead(OuterSchema, value, "outer");
}

/**
 * Checks a decoded inner payload.
 * @throws StateInvalid `payload_invalid` naming the first field that does not match.
 */
export function decodeInnerV1(value: unknown): InnerState {
  const { items, identitySecretKey, recoveryVerifier } = checkAfterRead(InnerSchema, value, "inner");
  return { items, identitySecretKey, recoveryKey: recoveryVerifier };
}

type Schema<T> = z.ZodMiniType<T>;

function checkForWrite<T>(schema: Schema<T>, payload: unknown, layer: string): asserts payload is PayloadObject {
  const result = z.safeParse(schema, payload);
  if (!result.success) {
    const issue = result.error.issues[0] as $ZodIssue;
    const path = [layer, ...issue.path.map(String)].join(".");
    throw new StateRejected("VALIDATION_FAILED", `${path}: ${issue.message}`, { path });
  }
}

function checkAfterRead<T>(schema: Schema<T>, value: unknown, layer: string): T {
  const result = z.safeParse(schema, value);
  if (!result.success) {
    const issue = result.error.issues[0] as $ZodIssue;
    const path = [layer, ...issue.path.map(String)].join(".");
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, `${path}: ${issue.message}`, result.error);
  }
  return result.data;
}

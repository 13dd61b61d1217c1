import { randomBytes, sodium } from "../../lib/crypto";
import {
  ARGON2ID_BOUNDS,
  DEFAULT_ARGON2ID,
  DIGEST_BYTES,
  KEY_BYTES,
  MAX_PIN_BYTES,
  PIN_SALT_BYTES,
  ROOT_KEY_BYTES,
} from "./constants";
import type { Argon2idParams, PinRecord } from "./types";

/**
 * The keys of the sealed state (docs/decisions/0055):
 *
 * - PIN key = Argon2id(PIN, salt, params), 32 bytes;
 * - PIN verifier = BLAKE2b-256 keyed with the PIN key over `VETTID-STATE-1/pin-verifier`;
 * - outer key = BLAKE2b-256 keyed with the root key over `VETTID-STATE-1/outer-key ‖ vault id`;
 * - inner key = BLAKE2b-256 keyed with root key ‖ PIN key (64 bytes, BLAKE2b's
 *   longest key) over `VETTID-STATE-1/inner-key ‖ vault id`.
 *
 * So the inner layer needs both an enclave that KMS released the root key to and the
 * PIN; neither key alone, nor the verifier, opens it. The labels are part of format 1
 * and never change; a format that derives keys otherwise adds its own functions.
 *
 * Keys are Uint8Arrays so they can be wiped (`sodium.memzero`); every intermediate
 * here is wiped before return. That is best effort: the garbage collector may have
 * copied a buffer, and libsodium's WebAssembly heap may keep a copy until reused.
 */

const LABELS = {
  pinVerifier: "VETTID-STATE-1/pin-verifier",
  outerKey: "VETTID-STATE-1/outer-key",
  innerKey: "VETTID-STATE-1/inner-key",
} as const;

const encoder = new TextEncoder();

/**
 * The PIN or passphrase as bytes: strings are NFC-normalised first, so the same PIN
 * typed on two keyboards gives the same key.
 * @throws RangeError when it is empty or longer than {@link MAX_PIN_BYTES}.
 */
export function pinBytes(pin: string | Uint8Array): Uint8Array {
  const bytes = typeof pin === "string" ? encoder.encode(pin.normalize("NFC")) : pin;
  if (bytes.length === 0 || bytes.length > MAX_PIN_BYTES) {
    throw new RangeError(`a PIN is 1 to ${MAX_PIN_BYTES} bytes`);
  }
  return bytes;
}

/**
 * Checks Argon2id parameters against {@link ARGON2ID_BOUNDS}.
 * @throws RangeError naming the parameter out of bounds.
 */
export function checkArgon2idParams(params: Argon2idParams): void {
  const { opsLimit, memLimitBytes } = params;
  const b = ARGON2ID_BOUNDS;
  if (!Number.isSafeInteger(opsLimit) || opsLimit < b.minOpsLimit || opsLimit > b.maxOpsLimit) {
    throw new RangeError(`opsLimit must be an integer in [${b.minOpsLimit}, ${b.maxOpsLimit}]`);
  }
  if (
    !Number.isSafeInteger(memLimitBytes) ||
    memLimitBytes < b.minMemLimitBytes ||
    memLimitBytes > b.maxMemLimitBytes ||
    memLimitBytes % 1024 !== 0
  ) {
    throw new RangeError(`memLimitBytes must be a multiple of 1024 in [${b.minMemLimitBytes}, ${b.maxMemLimitBytes}]`);
  }
}

/**
 * Derives the PIN key with Argon2id v1.3. Costs what `params` say: about 0.36 s at
 * {@link DEFAULT_ARGON2ID}. Wipe the result when done.
 *
 * @throws RangeError for an empty or too long PIN, a salt of the wrong size or parameters out of bounds.
 */
export function derivePinKey(pin: string | Uint8Array, salt: Uint8Array, params: Argon2idParams): Uint8Array {
  const bytes = pinBytes(pin);
  if (salt.length !== PIN_SALT_BYTES) throw new RangeError(`the salt is ${PIN_SALT_BYTES} bytes`);
  checkArgon2idParams(params);
  const s = sodium();
  try {
    return s.crypto_pwhash(
      KEY_BYTES,
      bytes,
      salt,
      params.opsLimit,
      params.memLimitBytes,
      s.crypto_pwhash_ALG_ARGON2ID13,
    );
  } finally {
    if (bytes !== pin) s.memzero(bytes);
  }
}

/** The PIN verifier of a PIN key: BLAKE2b-256 keyed with it over a fixed label. */
export function pinVerifier(pinKey: Uint8Array): Uint8Array {
  checkKey(pinKey, KEY_BYTES, "PIN key");
  return sodium().crypto_generichash(DIGEST_BYTES, encoder.encode(LABELS.pinVerifier), pinKey);
}

/** True when `pinKey` matches the record's verifier; compared in constant time. */
export function verifyPin(record: PinRecord, pinKey: Uint8Array): boolean {
  const s = sodium();
  const candidate = pinVerifier(pinKey);
  try {
    return candidate.length === record.verifier.length && s.memcmp(candidate, record.verifier);
  } finally {
    s.memzero(candidate);
  }
}

/**
 * A new PIN record (fresh salt) and the PIN key it verifies. `params` defaults to
 * {@link DEFAULT_ARGON2ID}; only tests pass anything else.
 *
 * @example
 * const { record, pinKey } = createPinRecord(pin);
 * const outer = { ...fields, pin: record };
 */
export function createPinRecord(
  pin: string | Uint8Array,
  params: Argon2idParams = DEFAULT_ARGON2ID,
): { record: PinRecord; pinKey: Uint8Array } {
  const salt = randomBytes(PIN_SALT_BYTES);
  const pinKey = derivePinKey(pin, salt, params);
  const kdf = { opsLimit: params.opsLimit, memLimitBytes: params.memLimitBytes };
  return { record: { salt, kdf, verifier: pinVerifier(pinKey) }, pinKey };
}

/** The key of the outer layer: from the root key alone, bound to the vault id. */
export function outerKey(rootKey: Uint8Array, vaultId: string): Uint8Array {
  checkKey(rootKey, ROOT_KEY_BYTES, "root key");
  return sodium().crypto_generichash(KEY_BYTES, labelled(LABELS.outerKey, vaultId), rootKey);
}

/** The key of the inner layer: from the root key and the PIN key together, bound to the vault id. */
export function innerKey(rootKey: Uint8Array, pinKey: Uint8Array, vaultId: string): Uint8Array {
  checkKey(rootKey, ROOT_KEY_BYTES, "root key");
  checkKey(pinKey, KEY_BYTES, "PIN key");
  const s = sodium();
  const both = new Uint8Array(ROOT_KEY_BYTES + KEY_BYTES);
  both.set(rootKey, 0);
  both.set(pinKey, ROOT_KEY_BYTES);
  try {
    return s.crypto_generichash(KEY_BYTES, labelled(LABELS.innerKey, vaultId), both);
  } finally {
    s.memzero(both);
  }
}

/** `label ‖ u8 length ‖ vault id`: the label is fixed per purpose, the id length-prefixed. */
function labelled(label: string, vaultId: string): Uint8Array {
  const id = encoder.encode(vaultId);
  if (id.length === 0 || id.length > 255) throw new RangeError("a vault id is 1 to 255 bytes");
  const l = encoder.encode(label);
  const out = new Uint8Array(l.length + 1 + id.length);
  out.set(l, 0);
  out[l.length] = id.length;
  out.set(id, l.length + 1);
  return out;
}

function checkKey(key: Uint8Array, length: number, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== length) throw new RangeError(`the ${what} is ${length} bytes`);
}

import { sodium } from "../../../../lib/crypto";
import {
  type Argon2idParams,
  createPinRecord,
  emptyAuditLog,
  type InnerState,
  NO_PIN_FAILURES,
  noChanges,
  type OuterFields,
  type PinRecord,
  sealState,
} from "../../../../vault-enclave/state";
import { formatV1 } from "../../../../vault-enclave/state/format-v1";
import { formatV2 } from "../../../../vault-enclave/state/format-v2";
import { innerKey, outerKey } from "../../../../vault-enclave/state/keys";
import type { StateFormat } from "../../../../vault-enclave/state/types";

/**
 * Test-only Argon2id parameters: libsodium's minimum (1 pass, 8 KiB), passed
 * explicitly wherever a test derives a PIN key. Production code never sees them; its
 * default stays `DEFAULT_ARGON2ID`.
 */
export const TEST_ARGON2ID: Readonly<Argon2idParams> = Object.freeze({ opsLimit: 1, memLimitBytes: 8 * 1024 });

export const VAULT_A = "vault-a";
export const VAULT_B = "vault-b";
export const PIN = "493817";
export const T0 = Date.UTC(2026, 0, 15, 9, 30);

const text = new TextEncoder();

/** A vault's keys: root key (as KMS releases it), its KMS blob, the PIN record and key. */
export interface VaultKeys {
  vaultId: string;
  rootKey: Uint8Array;
  kmsCiphertextBlob: Uint8Array;
  pin: PinRecord;
  pinKey: Uint8Array;
}

export function vaultKeys(vaultId = VAULT_A, pin = PIN): VaultKeys {
  const s = sodium();
  const { record, pinKey } = createPinRecord(pin, TEST_ARGON2ID);
  return {
    vaultId,
    rootKey: s.randombytes_buf(32),
    kmsCiphertextBlob: s.randombytes_buf(184),
    pin: record,
    pinKey,
  };
}

/** An inner state with one item of every type, an identity key and a recovery verifier. */
export function fullInner(): InnerState {
  const s = sodium();
  const item = (name: string, type: InnerState["items"][number]["type"], value: string, version = 1) => ({
    name,
    type,
    value: text.encode(value),
    version,
    createdAt: T0,
    updatedAt: T0 + version - 1,
  });
  return {
    items: [
      item("github", "login", '{"user":"anna","password":"correct horse"}', 3),
      item("api-token", "secret", "tok_CANARY_7f3a9c"),
      item("Notiz über Schlüssel", "note", "the spare key is under the 🪴"),
      item("email", "profile", "anna@example.org", 2),
    ],
    identitySecretKey: s.crypto_sign_keypair().privateKey,
    recoveryKey: s.randombytes_buf(32),
  };
}

/** Outer fields with two devices and no failures, at `stateVersion`. */
export function fullOuter(keys: VaultKeys, stateVersion = 1): OuterFields {
  const s = sodium();
  const device = (deviceId: string, label: string, addedAt: number) => ({
    deviceId,
    signingPublicKey: s.crypto_sign_keypair().publicKey,
    x25519PublicKey: s.crypto_box_keypair().publicKey,
    addedAt,
    label,
    lastUsedAt: null,
    sas: null,
  });
  return {
    vaultId: keys.vaultId,
    stateVersion,
    pin: keys.pin,
    attempts: { ...NO_PIN_FAILURES },
    devices: [device("dev-phone", "Anna's phone", T0), device("dev-laptop", "Anna’s laptop", T0 + 60_000)],
    pending: [],
    recovery: { backups: [], pending: null, recoveredInto: null, attempts: { ...NO_PIN_FAILURES } },
    audit: emptyAuditLog(keys.vaultId),
    changes: noChanges(keys.vaultId),
  };
}

/** A sealed blob of `keys`' vault at `stateVersion` (replacing version − 1). */
export function sealedBlob(
  keys: VaultKeys,
  stateVersion = 1,
  inner: InnerState = fullInner(),
  outer: OuterFields = fullOuter(keys, stateVersion),
): Uint8Array {
  return sealState({
    vaultId: keys.vaultId,
    rootKey: keys.rootKey,
    pinKey: keys.pinKey,
    kmsCiphertextBlob: keys.kmsCiphertextBlob,
    outer,
    inner,
    previousVersion: stateVersion - 1,
  });
}

/** A sealed blob of `keys`' vault in an older `format`, as a release before the current one wrote it. */
function sealedBlobIn(format: StateFormat, keys: VaultKeys, inner: InnerState, outer: OuterFields): Uint8Array {
  return format.seal({
    vaultId: keys.vaultId,
    kmsCiphertextBlob: keys.kmsCiphertextBlob,
    outer,
    inner,
    outerKey: outerKey(keys.rootKey, keys.vaultId),
    innerKey: innerKey(keys.rootKey, keys.pinKey, keys.vaultId),
  }).bytes;
}

/**
 * A sealed blob of `keys`' vault in format 1, as a release before format 2 wrote it
 * (`sealState` writes the current format): for the tests of format 1's layout and of
 * reading old blobs. Its outer layer carries no audit log.
 */
export function sealedBlobV1(
  keys: VaultKeys,
  stateVersion = 1,
  inner: InnerState = fullInner(),
  outer: OuterFields = fullOuter(keys, stateVersion),
): Uint8Array {
  return sealedBlobIn(formatV1, keys, inner, outer);
}

/**
 * A sealed blob of `keys`' vault in format 2, as a release before format 3 wrote it:
 * for the tests of reading old blobs. Its outer layer carries no recovery record.
 */
export function sealedBlobV2(
  keys: VaultKeys,
  stateVersion = 1,
  inner: InnerState = fullInner(),
  outer: OuterFields = fullOuter(keys, stateVersion),
): Uint8Array {
  return sealedBlobIn(formatV2, keys, inner, outer);
}

/** Runs `fn` and returns what it threw (failing the test when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

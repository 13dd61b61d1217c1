import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STATE_FILES, writeAtomic } from "./state";

/**
 * `DIR/vault.json`: what the device remembers of its vault between runs, so that a
 * host serving old state or an old manifest is caught (DESIGN.md §3.3, §4).
 * Nothing in it is secret, but it only ever moves forward.
 */
export interface VaultFile {
  schema: "vettid.vault/v1";
  /** The highest state version any answer of the vault carried. */
  stateVersion: number;
  /** The vault's identity public key (base64url), once known. */
  identityKey?: string;
  /** The highest PCR manifest serial this device verified. */
  manifestSerial?: number;
}

const SCHEMA = "vettid.vault/v1";
const IDENTITY_KEY = /^[A-Za-z0-9_-]{43}$/;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * Reads `DIR/vault.json`; a device that has none yet starts from state version 0.
 * @throws Error when the file exists but is not a vault memory file: it is never
 *   silently reset, since that would forget what rollback protection relies on.
 */
export function loadVaultFile(dir: string): VaultFile {
  const path = join(dir, STATE_FILES.vault);
  if (!existsSync(path)) return { schema: SCHEMA, stateVersion: 0 };
  let value: Partial<VaultFile>;
  try {
    value = JSON.parse(readFileSync(path, "utf8")) as Partial<VaultFile>;
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
  if (
    value?.schema !== SCHEMA ||
    !isCount(value.stateVersion) ||
    (value.identityKey !== undefined &&
      !(typeof value.identityKey === "string" && IDENTITY_KEY.test(value.identityKey))) ||
    (value.manifestSerial !== undefined && !isCount(value.manifestSerial))
  ) {
    throw new Error(`${path} is not a ${SCHEMA} file`);
  }
  return {
    schema: SCHEMA,
    stateVersion: value.stateVersion,
    ...(value.identityKey !== undefined ? { identityKey: value.identityKey } : {}),
    ...(value.manifestSerial !== undefined ? { manifestSerial: value.manifestSerial } : {}),
  };
}

/**
 * Writes `DIR/vault.json` (atomically, mode 0600), merged with what is on disk so it
 * never moves backwards: the higher state version and manifest serial win, and an
 * identity key once recorded stays.
 */
export function saveVaultFile(dir: string, next: Omit<VaultFile, "schema">): VaultFile {
  const current = loadVaultFile(dir);
  const serial = Math.max(current.manifestSerial ?? -1, next.manifestSerial ?? -1);
  const identityKey = current.identityKey ?? next.identityKey;
  const merged: VaultFile = {
    schema: SCHEMA,
    stateVersion: Math.max(current.stateVersion, next.stateVersion),
    ...(identityKey !== undefined ? { identityKey } : {}),
    ...(serial >= 0 ? { manifestSerial: serial } : {}),
  };
  writeAtomic(join(dir, STATE_FILES.vault), `${JSON.stringify(merged, null, 2)}\n`, 0o600);
  return merged;
}

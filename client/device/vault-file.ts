import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_AVOIDED_ENCLAVES } from "../../lib/vault-protocol";
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
  /** The audit log's head when this device last read it: sequence number and chain digest (base64url). */
  audit?: { seq: number; digest: string };
  /** Where this device stands in the vault's changes: last sequence applied, digest after it (base64url), log cursor. */
  changes?: { seq: number; digest: string; cursor: number };
  /**
   * Enclaves that went silent (at most 4): handshake key digest (base64url) and when (ms
   * since the epoch). Sessions are opened with another enclave, which takes the vault
   * over (decision 0078). Not monotonic: the client forgets each 10 minutes after.
   */
  silent?: { digest: string; at: number }[];
}

const SCHEMA = "vettid.vault/v1";
const IDENTITY_KEY = /^[A-Za-z0-9_-]{43}$/;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isAuditHead = (value: unknown): value is { seq: number; digest: string } =>
  typeof value === "object" &&
  value !== null &&
  Object.keys(value).length === 2 &&
  isCount((value as { seq?: unknown }).seq) &&
  typeof (value as { digest?: unknown }).digest === "string" &&
  DIGEST.test((value as { digest: string }).digest);

const isChangesPosition = (value: unknown): value is { seq: number; digest: string; cursor: number } =>
  typeof value === "object" &&
  value !== null &&
  Object.keys(value).length === 3 &&
  isCount((value as { seq?: unknown }).seq) &&
  isCount((value as { cursor?: unknown }).cursor) &&
  typeof (value as { digest?: unknown }).digest === "string" &&
  DIGEST.test((value as { digest: string }).digest);

const isSilentList = (value: unknown): value is { digest: string; at: number }[] =>
  Array.isArray(value) &&
  value.length >= 1 &&
  value.length <= MAX_AVOIDED_ENCLAVES &&
  value.every(
    (s) =>
      typeof s === "object" &&
      s !== null &&
      Object.keys(s).length === 2 &&
      typeof s.digest === "string" &&
      DIGEST.test(s.digest) &&
      isCount(s.at),
  );

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
    (value.manifestSerial !== undefined && !isCount(value.manifestSerial)) ||
    (value.audit !== undefined && !isAuditHead(value.audit)) ||
    (value.changes !== undefined && !isChangesPosition(value.changes)) ||
    (value.silent !== undefined && !isSilentList(value.silent))
  ) {
    throw new Error(`${path} is not a ${SCHEMA} file`);
  }
  return {
    schema: SCHEMA,
    stateVersion: value.stateVersion,
    ...(value.identityKey !== undefined ? { identityKey: value.identityKey } : {}),
    ...(value.manifestSerial !== undefined ? { manifestSerial: value.manifestSerial } : {}),
    ...(value.audit !== undefined ? { audit: { seq: value.audit.seq, digest: value.audit.digest } } : {}),
    ...(value.changes !== undefined
      ? { changes: { seq: value.changes.seq, digest: value.changes.digest, cursor: value.changes.cursor } }
      : {}),
    ...(value.silent !== undefined ? { silent: value.silent.map((s) => ({ digest: s.digest, at: s.at })) } : {}),
  };
}

/**
 * Writes `DIR/vault.json` (atomically, mode 0600), merged with what is on disk so it
 * never moves backwards: the higher state version, manifest serial, audit head and
 * changes position win (a position at the same sequence is replaced: its cursor
 * moves), and an identity key once recorded stays; the silent enclaves are `next`'s.
 */
export function saveVaultFile(dir: string, next: Omit<VaultFile, "schema">): VaultFile {
  const current = loadVaultFile(dir);
  const serial = Math.max(current.manifestSerial ?? -1, next.manifestSerial ?? -1);
  const identityKey = current.identityKey ?? next.identityKey;
  const audit = (next.audit?.seq ?? -1) > (current.audit?.seq ?? -1) ? next.audit : current.audit;
  const changes = (next.changes?.seq ?? -1) >= (current.changes?.seq ?? -1) ? next.changes : current.changes;
  const merged: VaultFile = {
    schema: SCHEMA,
    stateVersion: Math.max(current.stateVersion, next.stateVersion),
    ...(identityKey !== undefined ? { identityKey } : {}),
    ...(serial >= 0 ? { manifestSerial: serial } : {}),
    ...(audit !== undefined ? { audit } : {}),
    ...(changes !== undefined ? { changes } : {}),
    ...(next.silent !== undefined && next.silent.length > 0
      ? { silent: next.silent.map((s) => ({ digest: s.digest, at: s.at })) }
      : {}),
  };
  writeAtomic(join(dir, STATE_FILES.vault), `${JSON.stringify(merged, null, 2)}\n`, 0o600);
  return merged;
}

/**
 * Forgets the device's position in the vault's changes in `DIR/vault.json` (`vettid vault
 * changes --restart`, after listing the items again): the next sync starts following at
 * the head, whichever sequence it stands at. Everything else in the file stays.
 */
export function forgetChangesPosition(dir: string): VaultFile {
  const { changes: _changes, ...rest } = loadVaultFile(dir);
  writeAtomic(join(dir, STATE_FILES.vault), `${JSON.stringify(rest, null, 2)}\n`, 0o600);
  return rest;
}

import { equalDigestBytes, vaultChainGenesis, vaultChainStep } from "../crypto";
import { VettidError } from "../errors";
import { AUDIT_LABELS } from "./constants";
import { type AuditEntry, parseAuditEntry } from "./entry";

/**
 * The hash chain over a vault's audit entries (docs/protocol.md §Audit log), the vault
 * chain of lib/crypto (`vaultChainStep`) with the audit log's labels:
 *
 * - `digest_0 = H("VETTID-AUDIT-1/genesis" ‖ u8 len ‖ vault id)`;
 * - `digest_n = H("VETTID-AUDIT-1/entry" ‖ u8 len ‖ vault id ‖ digest_{n−1} ‖ entry_n)`,
 *   `entry_n` the entry's bytes exactly as encoded (entry.ts).
 *
 * So a digest commits to the vault and to every entry before it, in order: whoever
 * holds `digest_n` from a trusted source can check any prefix of the log up to `n`,
 * and a log that drops, reorders, alters or moves an entry to another vault ends in
 * another digest.
 */

/** `digest_0` of `vaultId`: the digest "before" the first entry. */
export function auditGenesis(vaultId: string): Uint8Array {
  return vaultChainGenesis(AUDIT_LABELS.genesis, vaultId);
}

/** `digest_n` from `digest_{n−1}` and the bytes of entry `n`. */
export function auditChainStep(vaultId: string, previous: Uint8Array, entry: Uint8Array): Uint8Array {
  return vaultChainStep(AUDIT_LABELS.entry, vaultId, previous, entry);
}

/** The digest after `entries`, starting from `start` (no parsing: for bytes this side wrote). */
export function auditChainEnd(vaultId: string, start: Uint8Array, entries: readonly Uint8Array[]): Uint8Array {
  let digest = start;
  for (const entry of entries) digest = auditChainStep(vaultId, digest, entry);
  return digest;
}

/** A run of entries checked against the chain ({@link verifyAuditRun}). */
export interface VerifiedAuditRun {
  entries: AuditEntry[];
  /** `digests[i]` is the digest after `entries[i]`. */
  digests: Uint8Array[];
  /** The digest after the last entry (`start` when there is none). */
  end: Uint8Array;
}

/**
 * Parses a run of consecutive entries that follows `start` and must begin at
 * `firstSeq`, and computes the chain over it.
 *
 * @throws VettidError `AUDIT_INVALID` for an entry that does not parse or a sequence
 *   number out of order.
 *
 * @example
 * const run = verifyAuditRun(vaultId, auditGenesis(vaultId), 1, page.entries);
 * if (!equalDigests(run.end, page.headDigest)) throw …;
 */
export function verifyAuditRun(
  vaultId: string,
  start: Uint8Array,
  firstSeq: number,
  entries: readonly Uint8Array[],
): VerifiedAuditRun {
  const parsed: AuditEntry[] = [];
  const digests: Uint8Array[] = [];
  let digest = start;
  for (const [i, bytes] of entries.entries()) {
    const entry = parseAuditEntry(bytes);
    if (entry.seq !== firstSeq + i) {
      throw new VettidError("AUDIT_INVALID", `audit entry ${entry.seq} where ${firstSeq + i} was due`);
    }
    digest = auditChainStep(vaultId, digest, bytes);
    parsed.push(entry);
    digests.push(digest);
  }
  return { entries: parsed, digests, end: digest };
}

/** Whether two digests are equal (constant time; lengths compared first). */
export const equalDigests = equalDigestBytes;

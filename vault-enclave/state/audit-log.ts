import {
  type AuditEvent,
  auditChainEnd,
  auditGenesis,
  encodeAuditEntry,
  equalDigests,
  verifyAuditRun,
} from "../../lib/vault-audit";
import { AUDIT_SEGMENT_ENTRIES, MAX_AUDIT_TAIL_ENTRIES } from "./constants";
import { STATE_REJECTIONS, StateInvalid } from "./errors";
import type { AuditLog } from "./types";

/**
 * The audit log's head in the outer layer, as pure functions (docs/decisions/0058).
 * The tail lives in the outer layer, sealed under the root key alone, so every write
 * the runtime makes — a PIN attempt counted without the PIN included — appends in the
 * same blob write as the change it records: the entry and the change are one write.
 *
 * Segments are fixed: segment `k` holds entries `k·N + 1 … (k + 1)·N`
 * (N = `AUDIT_SEGMENT_ENTRIES`), so a reader finds the segment of any entry by
 * arithmetic, and the outer layer needs no index. The tail starts right after a
 * segment boundary and holds up to `2N` entries; an append that would make it
 * `2N + 1` first moves the oldest `N` into a segment, which the runtime writes
 * (create-only) before the state that drops them.
 */

/** The oldest entries moved out of the tail: what the runtime seals into one segment blob. */
export interface AuditSegmentContent {
  /** Sequence number of `entries[0]`; `firstSeq − 1` is a multiple of `AUDIT_SEGMENT_ENTRIES`. */
  firstSeq: number;
  /** Chain digest before `entries[0]`. */
  start: Uint8Array;
  /** Exactly `AUDIT_SEGMENT_ENTRIES` encoded entries. */
  entries: Uint8Array[];
  /** Chain digest after the last entry: the next segment's `start`, or the tail's `base`. */
  end: Uint8Array;
}

/** The log of a vault that has none yet: no entries, the chain at `digest_0`. */
export function emptyAuditLog(vaultId: string): AuditLog {
  return { nextSeq: 1, base: auditGenesis(vaultId), tail: [] };
}

/** Sequence number of the first tail entry (`nextSeq` when the tail is empty). */
export function tailFirstSeq(log: AuditLog): number {
  return log.nextSeq - log.tail.length;
}

/** The first sequence number of the segment that holds `seq`. */
export function segmentFirstSeq(seq: number): number {
  return Math.floor((seq - 1) / AUDIT_SEGMENT_ENTRIES) * AUDIT_SEGMENT_ENTRIES + 1;
}

/** The head of the log: the last sequence number (0 when empty) and the digest after it. */
export function auditHead(log: AuditLog, vaultId: string): { seq: number; digest: Uint8Array } {
  return { seq: log.nextSeq - 1, digest: auditChainEnd(vaultId, log.base, log.tail) };
}

/**
 * Appends one event as entry `nextSeq` (`at`, `kind`, `device`, `detail` as given);
 * when the tail is full, its oldest `N` entries move to the returned segment first.
 *
 * @throws VettidError `AUDIT_INVALID` for an event out of bounds (a caller bug).
 *
 * @example
 * const { log, segment } = appendAudit(outer.audit, vaultId, { at: now, kind: "pin.changed", device, detail: {} });
 * if (segment) await writeSegment(segment); // create-only, before the state
 * await writeState({ ...outer, audit: log });
 */
export function appendAudit(
  log: AuditLog,
  vaultId: string,
  event: AuditEvent,
): { log: AuditLog; segment: AuditSegmentContent | undefined } {
  let { base, tail } = log;
  let segment: AuditSegmentContent | undefined;
  if (tail.length >= MAX_AUDIT_TAIL_ENTRIES) {
    const moved = tail.slice(0, AUDIT_SEGMENT_ENTRIES);
    const end = auditChainEnd(vaultId, base, moved);
    segment = { firstSeq: tailFirstSeq(log), start: base, entries: moved, end };
    base = end;
    tail = tail.slice(AUDIT_SEGMENT_ENTRIES);
  }
  const bytes = encodeAuditEntry({ ...event, seq: log.nextSeq });
  return { log: { nextSeq: log.nextSeq + 1, base, tail: [...tail, bytes] }, segment };
}

/**
 * Checks an audit log read from (or about to be written to) an outer layer: the tail
 * within bounds and aligned on a segment boundary, every entry well-formed and
 * numbered in order, and `base` equal to `digest_0` when nothing was moved out.
 *
 * @throws StateInvalid `payload_invalid` naming what does not hold.
 */
export function checkAuditLog(log: AuditLog, vaultId: string): void {
  const bad = (what: string): never => {
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, `outer.audit: ${what}`);
  };
  if (!Number.isSafeInteger(log.nextSeq) || log.nextSeq < 1) bad("nextSeq must be a positive integer");
  if (log.tail.length > MAX_AUDIT_TAIL_ENTRIES) bad(`the tail holds more than ${MAX_AUDIT_TAIL_ENTRIES} entries`);
  const first = tailFirstSeq(log);
  if (first < 1 || (first - 1) % AUDIT_SEGMENT_ENTRIES !== 0) bad("the tail does not start after a segment");
  if (first > 1 && log.tail.length < AUDIT_SEGMENT_ENTRIES) bad("a rolled-over tail holds fewer than one segment");
  if (first === 1 && !equalDigests(log.base, auditGenesis(vaultId))) bad("an unrolled log must start at digest 0");
  try {
    verifyAuditRun(vaultId, log.base, first, log.tail);
  } catch (err) {
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, `outer.audit: ${(err as Error).message}`, err);
  }
}

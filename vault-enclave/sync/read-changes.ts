import { VettidError } from "../../lib/errors";
import { equalSyncDigests, MAX_CHANGES_PAGE_BYTES, parseChangeEvent, syncChainStep } from "../../lib/vault-sync";
import type { ChangeHead } from "../state";
import type { ChangeLog } from "./change-log";
import { openChange, sealedChangeSeq } from "./sealed-change";

/** Most stored messages one read looks at (a page that needs more answers with a cursor to go on from). */
export const MAX_SCANNED_MESSAGES = 512;

/**
 * Longest one read may take (it holds the vault's lock): 2 s is about 10,000 message gets
 * on one node, far more than {@link MAX_SCANNED_MESSAGES}; a store slower than that
 * gets a shorter page, or an empty one with the cursor to go on from.
 */
export const READ_DEADLINE_MS = 2_000;

/** Most bytes of events one read holds while it resolves which are committed. */
const MAX_HELD_BYTES = 2 * MAX_CHANGES_PAGE_BYTES;

/**
 * What a read of the change log gives: committed events in order, the digest before the
 * first, where to go on. A page without events short of the head means: ask again from
 * its cursor (the read ran out of budget before the first event wanted).
 */
export interface ChangePage {
  events: Uint8Array[];
  /** The chain digest before `events[0]` (the head's digest when there is none: meaningless then). */
  before: Uint8Array;
  /** Where the next read may start in the log (a hint the device hands back). */
  cursor: number;
}

export interface ReadChangesInput {
  vaultId: string;
  /** The change key (sealed-change.ts). */
  key: Uint8Array;
  /** The head the vault's sealed, witnessed state names: the only thing trusted here. */
  head: ChangeHead;
  log: ChangeLog;
  /** The first sequence number wanted (1 … head.nextSeq). */
  fromSeq: number;
  /** Where to start in the log: the device's hint from its last page; untrusted. */
  cursor?: number | undefined;
  limit: number;
  /** Milliseconds since the epoch (default `Date.now`), for {@link READ_DEADLINE_MS}. */
  now?: () => number;
}

interface Candidate {
  bytes: Uint8Array;
  prev: Uint8Array;
  digest: Uint8Array;
  position: number;
}

/**
 * Reads committed change events `fromSeq …` (at most `limit`, and at most
 * `MAX_CHANGES_PAGE_BYTES` of them unless one alone is larger) from the log.
 *
 * The log may hold, besides the committed events, events sealed for a write that then
 * failed (published before the state that commits them; decision 0073), and whatever
 * its operator added, repeated or reordered. Only events that open under the vault's
 * key at the sequence number they claim are considered; of those at one sequence
 * number, the committed one is the one the next committed number's `prev` names (every
 * event `n + 1` was made from the committed state at `n`), and for the last, the one
 * whose digest is the head. So what this returns is exactly the committed chain.
 *
 * A fork — two events at one number each followed by an event at the next, or an event
 * that does not follow the one answered before it — is never answered: only a state and
 * a witness record rewound together (the host with the NATS operators) let a runtime
 * make one.
 *
 * @throws VettidError `NOT_FOUND` for a `fromSeq` below 1, `CHANGES_TRUNCATED`
 *   when the log no longer holds event `fromSeq` (retention, or a store that dropped it),
 *   `SYNC_INVALID` for a fork seen in the log, `UNAVAILABLE` when the log does not answer.
 */
export async function readChanges(input: ReadChangesInput): Promise<ChangePage> {
  const { head, fromSeq } = input;
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) throw new VettidError("NOT_FOUND", "no change at that position");
  // at the head, or past it (a device that saw a later head than this state names: it
  // tells a rollback from the head it is given), nothing but the head
  if (fromSeq >= head.nextSeq) return { events: [], before: head.head, cursor: head.position + 1 };
  const hint = input.cursor;
  const start = hint !== undefined && Number.isSafeInteger(hint) && hint >= 1 && hint <= head.position ? hint : 1;
  const now = input.now ?? Date.now;
  const deadline = now() + READ_DEADLINE_MS;
  let pass = await scan(input, start, deadline, now);
  // a hint past the event wanted (the device's, untrusted): once more from the start
  if (pass.page === undefined && !pass.sawWanted && !pass.exhausted && start > 1) {
    pass = await scan(input, 1, deadline, now);
  }
  if (pass.page !== undefined) return pass.page;
  // out of budget before the first event wanted: nothing to answer yet but where to go on
  if (pass.exhausted) return { events: [], before: head.head, cursor: pass.position };
  throw new VettidError("CHANGES_TRUNCATED", "the changes since that sequence are no longer kept");
}

function forked(seq: number): VettidError {
  return new VettidError("SYNC_INVALID", `the change log holds two histories at change ${seq}; list the items again`);
}

/** What one pass over the log gave. */
interface Pass {
  /** The events resolved, if any. */
  page?: ChangePage;
  /** Whether it read an event at the sequence number wanted first (whatever it resolved). */
  sawWanted: boolean;
  /** Whether it stopped for its budget (messages, bytes held, time) rather than the log's end. */
  exhausted: boolean;
  /** The position after the last message it read. */
  position: number;
}

/** One pass over the log from `start`. */
async function scan(input: ReadChangesInput, start: number, deadline: number, now: () => number): Promise<Pass> {
  const { vaultId, key, head, log, limit } = input;
  const last = head.nextSeq - 1;
  const candidates = new Map<number, Candidate[]>();
  const events: Uint8Array[] = [];
  let before: Uint8Array | undefined;
  let previous: Uint8Array | undefined;
  let want = input.fromSeq;
  let pageBytes = 0;
  let heldBytes = 0;
  let full = false;

  const resolve = () => {
    while (events.length < limit && want <= last) {
      const here = candidates.get(want);
      if (here === undefined) return;
      const after = candidates.get(want + 1);
      const linked =
        want === last
          ? here.filter((c) => equalSyncDigests(c.digest, head.head))
          : here.filter((c) => after?.some((d) => equalSyncDigests(d.prev, c.digest)));
      const chosen = linked[0];
      if (chosen === undefined) return;
      // Two events at one number that both have a next one are two histories: only a
      // state and a witness rewound together (the host with the NATS operators) make
      // that. Refused, never answered as one history.
      if (linked.length > 1) throw forked(want);
      // Each answered event follows the one answered before it.
      if (previous !== undefined && !equalSyncDigests(chosen.prev, previous)) throw forked(want);
      if (events.length > 0 && pageBytes + chosen.bytes.length > MAX_CHANGES_PAGE_BYTES) {
        full = true;
        return;
      }
      events.push(chosen.bytes);
      pageBytes += chosen.bytes.length;
      before ??= chosen.prev;
      previous = chosen.digest;
      for (const c of here) heldBytes -= c.bytes.length;
      candidates.delete(want);
      want += 1;
    }
  };

  let position = start;
  let sawWanted = false;
  let exhausted = true;
  for (let scanned = 0; scanned < MAX_SCANNED_MESSAGES && heldBytes <= MAX_HELD_BYTES; scanned += 1) {
    if (full || events.length >= limit || want > last || now() > deadline) {
      exhausted = now() > deadline;
      break;
    }
    const message = await log.next(vaultId, position);
    // a store that answers a position before the one asked for is not a log: stop there
    if (message === undefined || !Number.isSafeInteger(message.position) || message.position < position) {
      exhausted = false;
      break;
    }
    position = message.position + 1;
    const seq = sealedChangeSeq(message.data);
    if (seq === undefined || seq < want || seq > last) continue;
    const bytes = openChange(vaultId, message.data, key);
    if (bytes === undefined) continue;
    let prev: Uint8Array;
    try {
      const event = parseChangeEvent(bytes);
      if (event.seq !== seq) continue;
      prev = event.prev;
    } catch {
      continue;
    }
    if (seq === input.fromSeq) sawWanted = true;
    const digest = syncChainStep(vaultId, prev, bytes);
    const list = candidates.get(seq) ?? [];
    if (list.some((c) => equalSyncDigests(c.digest, digest))) continue; // a repeat
    list.push({ bytes, prev, digest, position: message.position });
    candidates.set(seq, list);
    heldBytes += bytes.length;
    resolve();
  }
  if (events.length === 0 || before === undefined) return { sawWanted, exhausted, position };
  const pending = [...candidates.values()].flat().map((c) => c.position);
  const cursor = want > last ? head.position + 1 : pending.length > 0 ? Math.min(...pending) : position;
  return { page: { events, before, cursor }, sawWanted, exhausted, position };
}

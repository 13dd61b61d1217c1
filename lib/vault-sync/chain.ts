import { equalDigestBytes, vaultChainGenesis, vaultChainStep } from "../crypto";
import { VettidError } from "../errors";
import { SYNC_LABELS } from "./constants";
import { type ChangeEvent, parseChangeEvent } from "./event";

/**
 * The hash chain over a vault's change events (docs/protocol.md §Changes), the vault
 * chain of lib/crypto (`vaultChainStep`) with the change events' labels:
 *
 * - `digest_0 = H("VETTID-SYNC-1/genesis" ‖ u8 len ‖ vault id)`;
 * - `digest_n = H("VETTID-SYNC-1/event" ‖ u8 len ‖ vault id ‖ digest_{n−1} ‖ event_n)`,
 *   `event_n` the event's bytes exactly as encoded (event.ts), whose `prev` field is
 *   `digest_{n−1}` as well.
 *
 * A digest commits to the vault and to every change before it, in order: a device
 * that holds `digest_n` checks that the changes it gets next follow on from exactly
 * what it saw, and a store that drops, reorders, alters or moves an event ends in
 * another digest.
 */

/** `digest_0` of `vaultId`: the digest "before" the first change. */
export function syncGenesis(vaultId: string): Uint8Array {
  return vaultChainGenesis(SYNC_LABELS.genesis, vaultId);
}

/** `digest_n` from `digest_{n−1}` and the bytes of event `n`. */
export function syncChainStep(vaultId: string, previous: Uint8Array, event: Uint8Array): Uint8Array {
  return vaultChainStep(SYNC_LABELS.event, vaultId, previous, event);
}

/** A run of events checked against the chain ({@link verifyChangeRun}). */
export interface VerifiedChangeRun {
  events: ChangeEvent[];
  /** `digests[i]` is the digest after `events[i]`. */
  digests: Uint8Array[];
  /** The digest after the last event (`start` when there is none). */
  end: Uint8Array;
}

/**
 * Parses a run of consecutive events that follows `start` (the digest after event
 * `firstSeq − 1`) and computes the chain over it.
 *
 * @throws VettidError `SYNC_INVALID` for an event that does not parse, a sequence
 *   number out of order, or a `prev` that is not the digest before it.
 *
 * @example
 * const run = verifyChangeRun(vaultId, remembered.digest, remembered.seq + 1, page.events);
 * if (page.headSeq === remembered.seq + run.events.length && !equalSyncDigests(run.end, page.headDigest)) throw …;
 */
export function verifyChangeRun(
  vaultId: string,
  start: Uint8Array,
  firstSeq: number,
  events: readonly Uint8Array[],
): VerifiedChangeRun {
  const parsed: ChangeEvent[] = [];
  const digests: Uint8Array[] = [];
  let digest = start;
  for (const [i, bytes] of events.entries()) {
    const event = parseChangeEvent(bytes);
    if (event.seq !== firstSeq + i) {
      throw new VettidError("SYNC_INVALID", `change ${event.seq} where ${firstSeq + i} was due`);
    }
    if (!equalSyncDigests(event.prev, digest)) {
      throw new VettidError("SYNC_INVALID", `change ${event.seq} does not follow the change before it`);
    }
    digest = syncChainStep(vaultId, digest, bytes);
    parsed.push(event);
    digests.push(digest);
  }
  return { events: parsed, digests, end: digest };
}

/** Whether two digests are equal (constant time; lengths compared first). */
export const equalSyncDigests = equalDigestBytes;

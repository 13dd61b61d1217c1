import { sodium } from "../crypto";
import { VettidError } from "../errors";
import { SYNC_DIGEST_BYTES, SYNC_LABELS } from "./constants";
import { type ChangeEvent, parseChangeEvent } from "./event";

/**
 * The hash chain over a vault's change events (docs/protocol.md §Changes), all
 * BLAKE2b-256 (`crypto_generichash`, unkeyed), `‖` concatenation:
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

const encoder = new TextEncoder();

function vaultIdBytes(vaultId: string): Uint8Array {
  const id = encoder.encode(vaultId);
  if (id.length === 0 || id.length > 255) throw new RangeError("a vault id is 1 to 255 bytes");
  const out = new Uint8Array(id.length + 1);
  out[0] = id.length;
  out.set(id, 1);
  return out;
}

/** `digest_0` of `vaultId`: the digest "before" the first change. */
export function syncGenesis(vaultId: string): Uint8Array {
  const s = sodium();
  const state = s.crypto_generichash_init(null, SYNC_DIGEST_BYTES);
  s.crypto_generichash_update(state, encoder.encode(SYNC_LABELS.genesis));
  s.crypto_generichash_update(state, vaultIdBytes(vaultId));
  return s.crypto_generichash_final(state, SYNC_DIGEST_BYTES);
}

/** `digest_n` from `digest_{n−1}` and the bytes of event `n`. */
export function syncChainStep(vaultId: string, previous: Uint8Array, event: Uint8Array): Uint8Array {
  if (!(previous instanceof Uint8Array) || previous.length !== SYNC_DIGEST_BYTES) {
    throw new RangeError(`a chain digest is ${SYNC_DIGEST_BYTES} bytes`);
  }
  const s = sodium();
  const state = s.crypto_generichash_init(null, SYNC_DIGEST_BYTES);
  s.crypto_generichash_update(state, encoder.encode(SYNC_LABELS.event));
  s.crypto_generichash_update(state, vaultIdBytes(vaultId));
  s.crypto_generichash_update(state, previous);
  s.crypto_generichash_update(state, event);
  return s.crypto_generichash_final(state, SYNC_DIGEST_BYTES);
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
export function equalSyncDigests(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b);
}

import * as z from "../../lib/zod";
import { decodeKvRecord, MAX_KV_RECORD_BYTES } from "../kv";
import { encodePayload } from "../state/cbor";

/** Version of the witness record encoding. */
export const WITNESS_RECORD_VERSION = 1;

/** A witness record is a few integers; anything larger is refused before decoding. */
export const MAX_WITNESS_RECORD_BYTES = MAX_KV_RECORD_BYTES;

/**
 * What the witness keeps for one vault (DESIGN.md §3.7, decision 0070): the state
 * version the runtime acknowledged last and the PIN failure counters in that state.
 * A state older than the record, or of the same version with other counters, was
 * never acknowledged as the latest and is refused.
 */
export interface WitnessRecord {
  vaultId: string;
  stateVersion: number;
  /** Unlock failures since the last success in that state. */
  failures: number;
  /** Recovery PIN failures in that state. */
  recoveryFailures: number;
}

const count = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));

const RecordSchema = z.strictObject({
  v: z.literal(WITNESS_RECORD_VERSION),
  vault: z.string().check(z.regex(/^vlt_[0-9a-f]{32}$/)),
  version: count,
  failures: count,
  recoveryFailures: count,
});

/** Deterministic CBOR `{v: 1, vault, version, failures, recoveryFailures}`. */
export function encodeWitnessRecord(record: WitnessRecord): Uint8Array {
  return encodePayload({
    v: WITNESS_RECORD_VERSION,
    vault: record.vaultId,
    version: record.stateVersion,
    failures: record.failures,
    recoveryFailures: record.recoveryFailures,
  });
}

/**
 * Decodes a record read back from the witness store, which the NATS operators can
 * write: strict CBOR, at most {@link MAX_WITNESS_RECORD_BYTES}, exactly the fields above,
 * for `vaultId` (a record copied from another vault's key is refused).
 * @throws VettidError `UNAVAILABLE`: a record that cannot be read fails closed.
 */
export function decodeWitnessRecord(bytes: Uint8Array, vaultId: string): WitnessRecord {
  const { vault, version, failures, recoveryFailures } = decodeKvRecord(
    bytes,
    vaultId,
    RecordSchema,
    "the witness record",
  );
  return { vaultId: vault, stateVersion: version, failures, recoveryFailures };
}

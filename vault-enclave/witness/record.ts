import * as z from "../../lib/zod";
import { decodeKvRecord, MAX_KV_RECORD_BYTES } from "../kv";
import { encodePayload } from "../state/cbor";

/** Version of the witness record encoding written now (version 1 records are still read). */
export const WITNESS_RECORD_VERSION = 2;

/** Bytes of a record's state digest: BLAKE2b-256. */
export const WITNESS_DIGEST_BYTES = 32;

/** A witness record is a few integers; anything larger is refused before decoding. */
export const MAX_WITNESS_RECORD_BYTES = MAX_KV_RECORD_BYTES;

/**
 * What the witness keeps for one vault (DESIGN.md §3.7, decisions 0070 and 0075): the
 * state version the runtime acknowledged last, the PIN failure counters in that state,
 * and the digest of that state's sealed outer layer. A state older than the record, or
 * of the same version with other counters or another digest (a second state of that
 * version a host made the runtime write and never acknowledged), is refused.
 */
export interface WitnessRecord {
  vaultId: string;
  stateVersion: number;
  /** Unlock failures since the last success in that state. */
  failures: number;
  /** Recovery PIN failures in that state. */
  recoveryFailures: number;
  /**
   * BLAKE2b-256 of the state's sealed outer layer (nonce ‖ ciphertext), which binds every
   * byte of the blob. Absent only in a version 1 record read back (written before it).
   */
  stateDigest?: Uint8Array | undefined;
}

const count = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));

const vault = z.string().check(z.regex(/^vlt_[0-9a-f]{32}$/));
const digest = z.custom<Uint8Array>(
  (v) => v instanceof Uint8Array && v.length === WITNESS_DIGEST_BYTES,
  `must be ${WITNESS_DIGEST_BYTES} bytes`,
);

const RecordSchema = z.union([
  z.strictObject({ v: z.literal(1), vault, version: count, failures: count, recoveryFailures: count }),
  z.strictObject({ v: z.literal(2), vault, version: count, failures: count, recoveryFailures: count, digest }),
]);

/**
 * Deterministic CBOR `{v: 2, vault, version, failures, recoveryFailures, digest}`.
 * @throws TypeError for a record without its 32-byte state digest (a writer always has one).
 */
export function encodeWitnessRecord(record: WitnessRecord): Uint8Array {
  const { stateDigest } = record;
  if (!(stateDigest instanceof Uint8Array) || stateDigest.length !== WITNESS_DIGEST_BYTES) {
    throw new TypeError(`a witness record carries the ${WITNESS_DIGEST_BYTES}-byte digest of its state`);
  }
  return encodePayload({
    v: WITNESS_RECORD_VERSION,
    vault: record.vaultId,
    version: record.stateVersion,
    failures: record.failures,
    recoveryFailures: record.recoveryFailures,
    digest: stateDigest,
  });
}

/**
 * Decodes a record read back from the witness store, which the NATS operators can
 * write: strict CBOR, at most {@link MAX_WITNESS_RECORD_BYTES}, exactly the fields above,
 * for `vaultId` (a record copied from another vault's key is refused); version 1 records
 * (no digest) are read as they were written.
 * @throws VettidError `UNAVAILABLE`: a record that cannot be read fails closed.
 */
export function decodeWitnessRecord(bytes: Uint8Array, vaultId: string): WitnessRecord {
  const decoded = decodeKvRecord(bytes, vaultId, RecordSchema, "the witness record");
  const { vault: id, version, failures, recoveryFailures } = decoded;
  return {
    vaultId: id,
    stateVersion: version,
    failures,
    recoveryFailures,
    ...(decoded.v === 2 ? { stateDigest: new Uint8Array(decoded.digest) } : {}),
  };
}

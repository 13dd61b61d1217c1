import { randomBytes } from "../../lib/crypto";
import * as z from "../../lib/zod";
import { decodeKvRecord, MAX_KV_RECORD_BYTES } from "../kv";
import { encodePayload } from "../state/cbor";

/** Version of the lease record encoding. */
export const LEASE_RECORD_VERSION = 1;

/** A lease record is an id and a few integers; anything larger is refused before decoding. */
export const MAX_LEASE_RECORD_BYTES = MAX_KV_RECORD_BYTES;

/**
 * Who serves a vault until when (decision 0071): `owner` is a runtime's id, drawn at
 * its start; `epoch` grows by one with every change of owner, so a runtime can tell a
 * renewal of its own lease from a lease it lost and got back; `expiresAt` is in the
 * writer's milliseconds since the epoch (nats-server 2.9 has no per-key TTL).
 */
export interface LeaseRecord {
  vaultId: string;
  owner: string;
  epoch: number;
  expiresAt: number;
}

const count = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));

/** A runtime id: 32 lowercase hex digits (16 random bytes). */
export const RUNTIME_ID = /^[0-9a-f]{32}$/;

/** A new runtime id: 16 random bytes in hex, drawn inside the enclave. */
export function newRuntimeId(): string {
  return Buffer.from(randomBytes(16)).toString("hex");
}

const RecordSchema = z.strictObject({
  v: z.literal(LEASE_RECORD_VERSION),
  vault: z.string().check(z.regex(/^vlt_[0-9a-f]{32}$/)),
  owner: z.string().check(z.regex(RUNTIME_ID)),
  epoch: count,
  expiresAt: count,
});

/** Deterministic CBOR `{v: 1, vault, owner, epoch, expiresAt}`. */
export function encodeLeaseRecord(record: LeaseRecord): Uint8Array {
  return encodePayload({
    v: LEASE_RECORD_VERSION,
    vault: record.vaultId,
    owner: record.owner,
    epoch: record.epoch,
    expiresAt: record.expiresAt,
  });
}

/**
 * Decodes a lease read back from the store, which the NATS operators can write:
 * strict CBOR, at most {@link MAX_LEASE_RECORD_BYTES}, exactly the fields above, for
 * `vaultId`.
 * @throws VettidError `UNAVAILABLE`: a lease that cannot be read is nobody's to take.
 */
export function decodeLeaseRecord(bytes: Uint8Array, vaultId: string): LeaseRecord {
  const { vault, owner, epoch, expiresAt } = decodeKvRecord(bytes, vaultId, RecordSchema, "the lease");
  return { vaultId: vault, owner, epoch, expiresAt };
}

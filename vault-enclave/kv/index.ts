import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { VettidError } from "../../lib/errors";
import type * as z from "../../lib/zod";
import { safeParse } from "../../lib/zod";
import { decodePayload } from "../state/cbor";

/**
 * What the runtime keeps in JetStream KV (the version witness, the leases): one small
 * record per vault id, in deterministic CBOR, written with compare-and-set on the
 * key's revision. Records are read back from a store the NATS operators can write, so
 * each is refused `UNAVAILABLE` unless it is exactly a record of its schema for the
 * vault it is read for.
 */

/** A record of one of these buckets is a few integers and ids; anything larger is refused before decoding. */
export const MAX_KV_RECORD_BYTES = 256;

/** A record as stored, with the store's revision of it. */
export interface Revisioned<T> {
  record: T;
  revision: number;
}

/**
 * Decodes a record: at most {@link MAX_KV_RECORD_BYTES}, strict CBOR, exactly `schema`
 * (whose `vault` field must be `vaultId`, so a record copied from another vault's key
 * is refused).
 * @param what names the record in errors (`the witness record`, `the lease`).
 * @throws VettidError `UNAVAILABLE`.
 */
export function decodeKvRecord<S extends z.ZodMiniType<{ vault: string }>>(
  bytes: Uint8Array,
  vaultId: string,
  schema: S,
  what: string,
): z.infer<S> {
  const refuse = (why: string, cause?: unknown): never => {
    throw new VettidError("UNAVAILABLE", `${what} of the vault is unreadable: ${why}`, { cause });
  };
  if (bytes.length > MAX_KV_RECORD_BYTES) refuse("too large");
  let raw: unknown;
  try {
    raw = decodePayload(bytes);
  } catch (err) {
    refuse("not strict CBOR", err);
  }
  const parsed = safeParse(schema, raw);
  if (!parsed.success) return refuse("not a version 1 record");
  if (parsed.data.vault !== vaultId) refuse("it names another vault");
  return parsed.data;
}

/**
 * What a delete or purge marker on a key means to its reader. `absent`: the key has no
 * value (a lease given up). `refuse`: the record must never disappear once written (the
 * version witness: the runtime never removes one, so a marker is someone with access to
 * the store erasing it, and taking it for a vault never seen would undo the witness).
 */
export type KvMarkers = "absent" | "refuse";

/**
 * Reads a key's current value, or undefined when it has none (or, with `markers` =
 * `absent`, was deleted).
 * @throws VettidError `UNAVAILABLE` when the store does not answer, or on a delete or
 *   purge marker with `markers` = `refuse`.
 */
export async function readKv(
  bucket: Pick<KV, "get">,
  key: string,
  what: string,
  markers: KvMarkers,
): Promise<{ value: Uint8Array; revision: number } | undefined> {
  let entry: Awaited<ReturnType<KV["get"]>>;
  try {
    entry = await bucket.get(key);
  } catch (err) {
    throw new VettidError("UNAVAILABLE", `${what} did not answer`, { cause: err });
  }
  if (entry === null) return undefined;
  if (entry.operation !== "PUT") {
    if (markers === "absent") return undefined;
    throw new VettidError("UNAVAILABLE", `${what} of the vault was removed (${entry.operation} at ${entry.revision})`);
  }
  if (entry.length > MAX_KV_RECORD_BYTES) {
    throw new VettidError("UNAVAILABLE", `${what} holds an unreadable record: too large`);
  }
  return { value: entry.value, revision: entry.revision };
}

/**
 * Writes `value` if the key's revision is still `expectedRevision` (`null`: only if the
 * key has no value; with `markers` = `refuse`, only if the key never had one, so a
 * delete or purge marker is not written over), and resolves with the new revision.
 * @throws VettidError `VERSION_CONFLICT` when another writer wrote in between (or a
 *   marker is there, with `refuse`), `UNAVAILABLE` when the store does not answer.
 */
export async function writeKv(
  bucket: Pick<KV, "create" | "update" | "put">,
  key: string,
  value: Uint8Array,
  expectedRevision: number | null,
  timeoutMs: number,
  what: string,
  markers: KvMarkers,
): Promise<number> {
  try {
    if (expectedRevision !== null) return await bucket.update(key, value, expectedRevision, timeoutMs);
    // `create` writes over a delete marker; an expected last sequence of 0 does not.
    return markers === "absent"
      ? await bucket.create(key, value)
      : await bucket.put(key, value, { previousSeq: 0, timeout: timeoutMs });
  } catch (err) {
    const conflict =
      err instanceof JetStreamApiError &&
      (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
        err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
    if (conflict) throw new VettidError("VERSION_CONFLICT", `${what} changed since it was read`, { cause: err });
    throw new VettidError("UNAVAILABLE", `${what} did not record the write`, { cause: err });
  }
}

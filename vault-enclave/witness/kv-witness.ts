import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { WITNESS_BUCKET as NATS_WITNESS_BUCKET } from "../../lib/nats-auth/permissions";
import { readKv, writeKv } from "../kv";
import { decodeWitnessRecord, encodeWitnessRecord, type WitnessRecord } from "./record";
import type { VersionWitness, Witnessed } from "./witness";

/** The JetStream KV bucket of the witness records, one key per vault id. */
export const WITNESS_BUCKET = NATS_WITNESS_BUCKET;

/**
 * Opens the witness bucket so that every read is answered by its stream's leader
 * (`$JS.API.STREAM.MSG.GET`), never by a direct get, which any replica may answer
 * however far behind it is: NATS promises no read-your-writes through direct gets, and
 * a stale witness record is an older state version accepted. Said here rather than
 * left to nats.js's default for a bound bucket; the layout also turns direct gets off
 * for the bucket's stream, and the runtime's permissions leave them out
 * (lib/jetstream-layout, lib/nats-auth).
 */
export function openWitnessBucket(connection: NatsConnection): Promise<KV> {
  return new Kvm(connection).open(WITNESS_BUCKET, { allow_direct: false });
}

/** Options of {@link KvWitness}. */
export interface KvWitnessOptions {
  /** The open bucket ({@link WITNESS_BUCKET}), over the enclave's own NATS connection. */
  bucket: Pick<KV, "get" | "create" | "update" | "put">;
  /** Per request (default 5 s): a witness that does not answer stops the write. */
  timeoutMs?: number;
}

/**
 * The version witness in JetStream KV (decision 0070): each record written with
 * compare-and-set on the key's revision (`create` for the first, `update` after), so
 * two runtimes that both think they own a vault cannot both record, and the one that
 * loses stops. A record is never removed: a delete or purge marker on a vault's key is
 * refused `UNAVAILABLE`, not read as a vault the witness never saw. The bucket is replicated across the NATS cluster (3 in production).
 */
export class KvWitness implements VersionWitness {
  constructor(private readonly options: KvWitnessOptions) {}

  async read(vaultId: string): Promise<Witnessed | undefined> {
    const entry = await readKv(this.options.bucket, vaultId, "the version witness", "refuse");
    if (entry === undefined) return undefined;
    return { record: decodeWitnessRecord(entry.value, vaultId), revision: entry.revision };
  }

  record(record: WitnessRecord, expectedRevision: number | null): Promise<number> {
    return writeKv(
      this.options.bucket,
      record.vaultId,
      encodeWitnessRecord(record),
      expectedRevision,
      this.options.timeoutMs ?? 5_000,
      "the version witness",
      "refuse",
    );
  }
}

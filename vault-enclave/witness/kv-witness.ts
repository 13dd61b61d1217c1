import type { KV } from "@nats-io/kv";
import { WITNESS_BUCKET as NATS_WITNESS_BUCKET } from "../../lib/nats-auth/permissions";
import { readKv, writeKv } from "../kv";
import { decodeWitnessRecord, encodeWitnessRecord, type WitnessRecord } from "./record";
import type { VersionWitness, Witnessed } from "./witness";

/** The JetStream KV bucket of the witness records, one key per vault id. */
export const WITNESS_BUCKET = NATS_WITNESS_BUCKET;

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

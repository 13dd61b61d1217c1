import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { VettidError } from "../../lib/errors";
import { decodeWitnessRecord, encodeWitnessRecord, MAX_WITNESS_RECORD_BYTES, type WitnessRecord } from "./record";
import type { VersionWitness, Witnessed } from "./witness";

/** The JetStream KV bucket of the witness records, one key per vault id. */
export const WITNESS_BUCKET = "vettid-witness";

/** Options of {@link KvWitness}. */
export interface KvWitnessOptions {
  /** The open bucket ({@link WITNESS_BUCKET}), over the enclave's own NATS connection. */
  bucket: Pick<KV, "get" | "create" | "update">;
  /** Per request (default 5 s): a witness that does not answer stops the write. */
  timeoutMs?: number;
}

const wrongLastSequence = (err: unknown) =>
  err instanceof JetStreamApiError &&
  (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
    err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);

/**
 * The version witness in JetStream KV (decision 0070): each record written with
 * compare-and-set on the key's revision (`create` for the first, `update` after), so
 * two runtimes that both think they own a vault cannot both record, and the one that
 * loses stops. The bucket is replicated across the NATS cluster (3 in production).
 */
export class KvWitness implements VersionWitness {
  constructor(private readonly options: KvWitnessOptions) {}

  async read(vaultId: string): Promise<Witnessed | undefined> {
    let entry: Awaited<ReturnType<KV["get"]>>;
    try {
      entry = await this.options.bucket.get(vaultId);
    } catch (err) {
      throw new VettidError("UNAVAILABLE", "the version witness did not answer", { cause: err });
    }
    if (entry === null || entry.operation !== "PUT") return undefined;
    if (entry.length > MAX_WITNESS_RECORD_BYTES) {
      throw new VettidError("UNAVAILABLE", "the witness record of the vault is unreadable: too large");
    }
    return { record: decodeWitnessRecord(entry.value, vaultId), revision: entry.revision };
  }

  async record(record: WitnessRecord, expectedRevision: number | null): Promise<number> {
    const value = encodeWitnessRecord(record);
    try {
      return expectedRevision === null
        ? await this.options.bucket.create(record.vaultId, value)
        : await this.options.bucket.update(record.vaultId, value, expectedRevision, this.options.timeoutMs ?? 5_000);
    } catch (err) {
      if (wrongLastSequence(err)) {
        throw new VettidError("VERSION_CONFLICT", "another writer recorded the vault's state since it was read", {
          cause: err,
        });
      }
      throw new VettidError("UNAVAILABLE", "the version witness did not record the state", { cause: err });
    }
  }
}

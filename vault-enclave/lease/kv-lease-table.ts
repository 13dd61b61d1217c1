import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { VettidError } from "../../lib/errors";
import { LEASE_BUCKET as NATS_LEASE_BUCKET } from "../../lib/nats-auth/permissions";
import { readKv, writeKv } from "../kv";
import { DEFAULT_LEASE_TIMING, decideLease, type LeaseTiming } from "./decide";
import { decodeLeaseRecord, encodeLeaseRecord, type LeaseRecord, RUNTIME_ID } from "./record";

/** The JetStream KV bucket of the leases, one key per vault id. */
export const LEASE_BUCKET = NATS_LEASE_BUCKET;

/** A lease this runtime holds, with the store's revision of it (for compare-and-set). */
export interface HeldLease {
  record: LeaseRecord;
  revision: number;
}

/** The outcome of {@link KvLeaseTable.acquire}. */
export type AcquireResult = { held: true; lease: HeldLease } | { held: false; owner: string; expiresAt: number };

/**
 * Opens the lease bucket so that the runtime's reads are answered by its stream's leader
 * (message gets, never a direct get any replica may answer however far behind): a read
 * behind the runtime's own take-over would show the previous owner. The layout allows
 * direct gets on this bucket for the hosts' routing reads only.
 */
export function openLeaseBucket(connection: NatsConnection): Promise<KV> {
  return new Kvm(connection).open(LEASE_BUCKET, { allow_direct: false });
}

/** Options of {@link KvLeaseTable}. */
export interface KvLeaseTableOptions {
  bucket: Pick<KV, "get" | "create" | "update" | "put">;
  /** This runtime's id (32 hex digits, drawn at its start). */
  self: string;
  now: () => number;
  timing?: LeaseTiming;
  /** Per request (default 2 s). */
  timeoutMs?: number;
}

/**
 * One live owner per vault (DESIGN.md "Routing", decision 0071): leases in JetStream KV
 * written with compare-and-set on the key's revision, so of two runtimes that try to
 * take or renew the same lease at once exactly one succeeds. Taken and renewed over the
 * enclave's own connection, the host cannot forge a renewal or an expiry.
 */
export class KvLeaseTable {
  private readonly timing: LeaseTiming;

  constructor(private readonly options: KvLeaseTableOptions) {
    if (!RUNTIME_ID.test(options.self)) throw new TypeError("a runtime id is 32 lowercase hex digits");
    this.timing = options.timing ?? DEFAULT_LEASE_TIMING;
  }

  /**
   * Takes the vault's lease when there is none or it has lapsed (or, with `takeOver`,
   * from a live owner: at the next epoch, conditional on the revision read, so the
   * owner's next renewal fails), renews it when this runtime holds it, and otherwise
   * reports who does.
   * @throws VettidError `UNAVAILABLE` when the store does not answer or holds an unreadable lease.
   */
  async acquire(vaultId: string, options: { takeOver?: boolean } = {}): Promise<AcquireResult> {
    const current = await this.read(vaultId);
    const decision = decideLease(vaultId, this.options.self, current?.record, this.options.now(), this.timing, options);
    if (decision.kind === "held") return { held: false, owner: decision.owner, expiresAt: decision.expiresAt };
    try {
      const revision = await this.write(decision.next, current?.revision ?? null);
      return { held: true, lease: { record: decision.next, revision } };
    } catch (err) {
      if (!(err instanceof VettidError) || err.code !== "VERSION_CONFLICT") throw err;
      // another writer came first: another runtime, which holds the lease now, or this
      // one (two requests for the vault at once), whose lease is adopted at its revision
      const winner = await this.read(vaultId);
      if (winner === undefined) throw err;
      if (winner.record.owner === this.options.self) return { held: true, lease: winner };
      return { held: false, owner: winner.record.owner, expiresAt: winner.record.expiresAt };
    }
  }

  /**
   * Who else holds the vault's lease now, and at which epoch, without writing: undefined
   * when this runtime could take it (none, lapsed, or its own).
   * @throws VettidError `UNAVAILABLE` when the store does not answer or holds an unreadable lease.
   */
  async peek(vaultId: string): Promise<{ owner: string; expiresAt: number; epoch: number } | undefined> {
    const current = await this.read(vaultId);
    const decision = decideLease(vaultId, this.options.self, current?.record, this.options.now(), this.timing);
    return decision.kind === "held" && current
      ? { owner: decision.owner, expiresAt: decision.expiresAt, epoch: current.record.epoch }
      : undefined;
  }

  /**
   * Renews a lease this runtime holds, conditional on the revision it holds.
   * @throws VettidError `LEASE_LOST` when the lease changed since (another runtime took
   *   it: stop serving the vault), `UNAVAILABLE` when the store does not answer.
   */
  async renew(lease: HeldLease): Promise<HeldLease> {
    const next = { ...lease.record, expiresAt: this.options.now() + this.timing.ttlMs };
    try {
      return { record: next, revision: await this.write(next, lease.revision) };
    } catch (err) {
      if (err instanceof VettidError && err.code === "VERSION_CONFLICT") {
        throw new VettidError("LEASE_LOST", "another runtime holds the vault's lease now", { cause: err });
      }
      throw err;
    }
  }

  /** Gives a held lease up (expired at once), so another runtime may take it without waiting. */
  async release(lease: HeldLease): Promise<void> {
    await this.write({ ...lease.record, expiresAt: 0 }, lease.revision).catch(() => undefined);
  }

  private async read(vaultId: string): Promise<HeldLease | undefined> {
    const entry = await readKv(this.options.bucket, vaultId, "the lease table", "absent");
    if (entry === undefined) return undefined;
    return { record: decodeLeaseRecord(entry.value, vaultId), revision: entry.revision };
  }

  private write(record: LeaseRecord, expectedRevision: number | null): Promise<number> {
    return writeKv(
      this.options.bucket,
      record.vaultId,
      encodeLeaseRecord(record),
      expectedRevision,
      this.options.timeoutMs ?? 2_000,
      "the lease table",
      "absent",
    );
  }
}

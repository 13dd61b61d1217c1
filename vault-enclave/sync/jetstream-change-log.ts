import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { VettidError } from "../../lib/errors";
import { syncStreamConfig } from "../../lib/jetstream-layout";
import { SYNC_STREAM as NATS_SYNC_STREAM } from "../../lib/nats-auth/permissions";
import { SUBJECT_ROOT } from "../../lib/subjects";
import type { ChangeLog } from "./change-log";

/** The stream of sealed change events, one subject per vault. */
export const SYNC_STREAM = NATS_SYNC_STREAM;

/** The stream's limits and configuration (lib/jetstream-layout, where a deployment's assets are listed). */
export {
  SYNC_EVENTS_PER_VAULT,
  SYNC_HEADER_ALLOWANCE_BYTES,
  SYNC_RETENTION_DAYS,
  syncStreamConfig,
} from "../../lib/jetstream-layout";

/** The subject of `vaultId`'s change events. */
export function syncSubject(vaultId: string): string {
  return `${SUBJECT_ROOT}.sync.${vaultId}`;
}

/** Options of {@link JetStreamChangeLog}. */
export interface JetStreamChangeLogOptions {
  /** Per request (default 5 s): a log that does not answer stops the write. */
  timeoutMs?: number;
}

/**
 * The change log in the JetStream stream {@link SYNC_STREAM}, over the runtime's own
 * NATS connection: an event is appended by publishing it on the vault's subject (the
 * stream's ack carries its position), and read with the stream's `next_by_subj`
 * message get, one message a request, from the leader (read after write).
 */
export class JetStreamChangeLog implements ChangeLog {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly timeoutMs: number,
  ) {}

  /** Opens the log on `connection`; with `create`, makes the stream first (tests only; an operator provisions it). */
  static async open(
    connection: NatsConnection,
    options: JetStreamChangeLogOptions & { create?: { replicas: number } } = {},
  ): Promise<JetStreamChangeLog> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const jsm = await jetstreamManager(connection, { timeout: timeoutMs });
    if (options.create) await jsm.streams.add(syncStreamConfig(options.create.replicas));
    else await jsm.streams.info(SYNC_STREAM);
    return new JetStreamChangeLog(jetstream(connection, { timeout: timeoutMs }), jsm, timeoutMs);
  }

  async append(vaultId: string, data: Uint8Array): Promise<number> {
    try {
      const ack = await this.js.publish(syncSubject(vaultId), data, {
        timeout: this.timeoutMs,
        expect: { streamName: SYNC_STREAM },
      });
      return ack.seq;
    } catch (err) {
      throw new VettidError("UNAVAILABLE", "the change log did not store the event", { cause: err });
    }
  }

  async next(vaultId: string, from: number): Promise<{ position: number; data: Uint8Array } | undefined> {
    try {
      // `next_by_subj` is in nats-server 2.9's message get; the client's type names only seq and last_by_subj.
      const query = { seq: from, next_by_subj: syncSubject(vaultId) } as unknown as { seq: number };
      const message = await this.jsm.streams.getMessage(SYNC_STREAM, query);
      return message === null ? undefined : { position: message.seq, data: new Uint8Array(message.data) };
    } catch (err) {
      throw new VettidError("UNAVAILABLE", "the change log did not answer", { cause: err });
    }
  }
}

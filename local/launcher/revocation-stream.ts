import { type EdgeStore, itemKey } from "../../lib/store";

/** Options of {@link startRevocationStream}. */
export interface RevocationStreamOptions {
  store: Pick<EdgeStore, "getRevocations">;
  /** The revocation publisher's handler (functions/revocations/publish.ts). */
  handler(event: unknown): Promise<unknown>;
  /** How often the item is read (default 100 ms). */
  pollMs?: number;
  onError?(err: unknown): void;
}

/** The running stand-in. */
export interface RevocationStream {
  /** Resolves once every version written so far was handed to the handler successfully. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * DEV ONLY: the stand-in for the edge table's DynamoDB stream and the event source
 * mapping that invokes the revocation publisher (dynalite has no streams). It reads the
 * revocation item with a consistent read; when its version moved, it invokes the
 * handler with a stream event in the shape Lambda delivers (keys only, as the table's
 * `KEYS_ONLY` stream), and on failure invokes it again at the next poll, as the mapping
 * retries a failed batch.
 */
export function startRevocationStream(options: RevocationStreamOptions): RevocationStream {
  const pollMs = options.pollMs ?? 100;
  const key = itemKey.revocations();
  let delivered = 0;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const waiters: { version: number; resolve: () => void }[] = [];

  const tick = async () => {
    const { version } = await options.store.getRevocations();
    if (version > delivered) {
      await options.handler({
        Records: [
          {
            eventID: `local-${version}`,
            eventName: version === 1 ? "INSERT" : "MODIFY",
            eventSource: "aws:dynamodb",
            eventVersion: "1.1",
            dynamodb: { Keys: { pk: { S: key.pk }, sk: { S: key.sk } }, StreamViewType: "KEYS_ONLY" },
          },
        ],
      });
      delivered = version;
    }
    for (const w of waiters.splice(0)) {
      if (w.version <= delivered) w.resolve();
      else waiters.push(w);
    }
  };
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : tick())).catch((err: unknown) => options.onError?.(err));
  }, pollMs);
  timer.unref();

  return {
    async drained() {
      const { version } = await options.store.getRevocations();
      if (version <= delivered) return;
      await new Promise<void>((resolve) => waiters.push({ version, resolve }));
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      for (const w of waiters.splice(0)) w.resolve();
    },
  };
}

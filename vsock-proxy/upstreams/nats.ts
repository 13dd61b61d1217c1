import type { NatsConnection } from "@nats-io/transport-node";
import { fromNatsError } from "./errors";
import type { NatsUpstream } from "./types";

/**
 * A {@link NatsUpstream} over a real NATS connection. The connection reconnects by
 * itself (the caller sets `maxReconnectAttempts: -1`) and re-subscribes; while it is
 * down, publishes are buffered by the client and requests time out.
 */
export function natsUpstream(connection: NatsConnection): NatsUpstream {
  let up = true;
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === "disconnect") up = false;
      else if (status.type === "reconnect") up = true;
    }
  })().catch(() => {
    up = false;
  });
  return {
    subscribe(subject, onMessage) {
      try {
        const sub = connection.subscribe(subject, {
          callback: (err, msg) => {
            if (!err) onMessage(msg.subject, msg.reply || undefined, msg.data);
          },
        });
        return { unsubscribe: () => sub.unsubscribe() };
      } catch (err) {
        throw fromNatsError(err, "subscribe");
      }
    },
    publish(subject, data) {
      try {
        connection.publish(subject, data);
      } catch (err) {
        throw fromNatsError(err, "publish");
      }
    },
    async request(subject, data, timeoutMs) {
      try {
        const msg = await connection.request(subject, data, { timeout: timeoutMs });
        return msg.data;
      } catch (err) {
        throw fromNatsError(err, "request");
      }
    },
    connected: () => up && !connection.isClosed(),
    async close() {
      if (!connection.isClosed()) await connection.drain().catch(() => connection.close());
    },
  };
}

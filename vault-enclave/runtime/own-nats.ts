import type { Duplex } from "node:stream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { MeasuredConfig } from "../../lib/runtime-config";
import { KvLeaseTable, openLeaseBucket } from "../lease/kv-lease-table";
import { connectOverTunnel } from "../nats";
import { type RuntimeNatsIdentity, runtimeNatsIdentity, type SealedNatsKeySource } from "../nats/runtime-credentials";
import { JetStreamChangeLog } from "../sync/jetstream-change-log";
import { KvWitness, openWitnessBucket } from "../witness";

/** What the runtime's own NATS connection needs from its environment. */
export interface OwnNatsDeps {
  /** The measured `nats` settings (server name, CA, account and signing key). */
  settings: NonNullable<MeasuredConfig["nats"]>;
  /** A byte stream to a NATS node through the host (lib/proxy-client `tunnel.open("nats")`). */
  openTunnel(): Promise<Duplex>;
  /** The sealed signing key from the host, and KMS Decrypt with the attested Recipient. */
  sealedKey: Pick<SealedNatsKeySource, "ciphertext" | "decrypt">;
  /** Allow-listed log lines (code and counts only). */
  log(level: "info" | "warn", message: string, fields?: Record<string, string | number>): void;
  /** Delay before retrying a failed first connect or renewal (default 5 s). */
  retryMs?: number;
  /** This runtime's id in the vault leases (32 hex digits, drawn at its start). */
  runtimeId: string;
}

/** The runtime's own NATS connection, and the version witness and change log on it. */
export interface OwnNats {
  connection: NatsConnection;
  witness: KvWitness;
  changes: JetStreamChangeLog;
  /** The vault leases (decision 0071), as this runtime. */
  leases: KvLeaseTable;
  identity: RuntimeNatsIdentity;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connects the runtime to NATS on its own (decision 0072): its identity made here (user
 * nkey, JWT signed by the sealed scoped key), TLS to the measured server name and CA
 * through the host's tunnel, and the version witness and lease buckets and the change
 * log stream opened on it. Retries until
 * it is connected: a runtime without its witness would serve vaults the host could roll
 * back, so it serves none until then. The JWT is renewed after half its lifetime.
 */
export async function connectOwnNats(deps: OwnNatsDeps): Promise<OwnNats> {
  const retryMs = deps.retryMs ?? 5_000;
  const source: SealedNatsKeySource = {
    ...deps.sealedKey,
    signingPublicKey: deps.settings.signingPublicKey,
    accountPublicKey: deps.settings.accountPublicKey,
  };
  let identity: RuntimeNatsIdentity | undefined;
  let connection: NatsConnection | undefined;
  let witness: KvWitness | undefined;
  let changes: JetStreamChangeLog | undefined;
  let leases: KvLeaseTable | undefined;
  for (let attempt = 1; leases === undefined; attempt += 1) {
    try {
      identity ??= await runtimeNatsIdentity(source);
      connection ??= await connectOverTunnel({
        openTunnel: deps.openTunnel,
        tls: {
          servername: deps.settings.servername,
          caPem: deps.settings.caPem,
          handshakeFirst: deps.settings.handshakeFirst,
        },
        connection: {
          authenticator: identity.authenticator,
          inboxPrefix: identity.inboxPrefix,
          name: identity.name,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
        },
      });
      // A bucket the deployment has not provisioned yet is retried on the same connection.
      witness ??= new KvWitness({ bucket: await openWitnessBucket(connection) });
      changes ??= await JetStreamChangeLog.open(connection);
      leases = new KvLeaseTable({
        bucket: await openLeaseBucket(connection),
        self: deps.runtimeId,
        now: Date.now,
      });
    } catch (err) {
      deps.log("warn", "own NATS connection failed; retrying", {
        count: attempt,
        code: String((err as { code?: unknown }).code ?? "UNKNOWN"),
      });
      await sleep(retryMs);
    }
  }
  deps.log("info", "own NATS connection ready");
  const held = identity as RuntimeNatsIdentity;
  let renewal: NodeJS.Timeout | undefined;
  const scheduleRenewal = (delayMs: number) => {
    renewal = setTimeout(() => {
      held.renew().then(
        () => scheduleRenewal(Math.max(retryMs, (held.expiresAt * 1000 - Date.now()) / 2)),
        (err: unknown) => {
          deps.log("warn", "own NATS JWT renewal failed; retrying", {
            code: String((err as { code?: unknown }).code ?? "UNKNOWN"),
          });
          scheduleRenewal(retryMs);
        },
      );
    }, delayMs);
    renewal.unref();
  };
  scheduleRenewal(Math.max(retryMs, (held.expiresAt * 1000 - Date.now()) / 2));
  const open = connection as NatsConnection;
  return {
    connection: open,
    witness: witness as KvWitness,
    changes: changes as JetStreamChangeLog,
    leases,
    identity: held,
    async close() {
      clearTimeout(renewal);
      await open.close().catch(() => undefined);
      held.close();
    },
  };
}

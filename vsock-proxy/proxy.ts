import type { Duplex } from "node:stream";
import type { Transport, TransportListener } from "../lib/frame-link";
import { createProxyCounters, type ProxyCounters } from "./counters";
import { EnclaveSession, type SessionDeps } from "./session";

/** Options of {@link VsockProxy}: the session dependencies plus the enclave-facing transport. */
export interface VsockProxyOptions extends Omit<SessionDeps, "counters"> {
  transport: Transport;
  /**
   * Enclave connections held at once. Derivation: one enclave per host, plus one
   * that is replacing it during a restart, plus one spare: 4 is generous; more is
   * an attack on the socket.
   */
  maxConnections?: number;
}

/** What the health endpoint reports. */
export interface HealthReport {
  status: "ok" | "degraded";
  enclaves: { connected: number; attested: number };
  nats: "connected" | "disconnected";
  counters: ProxyCounters;
  uptimeMs: number;
}

const DEFAULT_MAX_CONNECTIONS = 4;

/**
 * The host side of the enclave link (DESIGN.md §5): accepts enclave connections on
 * the transport, attests each, then bridges its channels to NATS, KMS, the blob
 * store and the host's logs and metrics.
 *
 * @example
 * const proxy = new VsockProxy({ transport, verifier, nats, kms, blob, served, logger, metrics });
 * await proxy.start();
 * …
 * await proxy.stop();
 */
export class VsockProxy {
  readonly counters: ProxyCounters = createProxyCounters();
  private readonly sessions = new Set<EnclaveSession>();
  private listener: TransportListener | undefined;
  private readonly startedAt = Date.now();
  private stopping = false;

  constructor(private readonly options: VsockProxyOptions) {}

  /** Starts listening for the enclave. */
  async start(): Promise<void> {
    this.listener = await this.options.transport.listen((stream) => this.accept(stream));
    this.options.logger.info("vsock-proxy listening", { address: this.options.transport.address });
  }

  /** The live sessions (for tests and the health report). */
  get liveSessions(): ReadonlySet<EnclaveSession> {
    return this.sessions;
  }

  /** The health report: `ok` when an attested enclave is connected and NATS is up. */
  health(): HealthReport {
    const attested = [...this.sessions].filter((s) => s.identity !== undefined).length;
    const natsUp = this.options.nats.connected();
    return {
      status: attested > 0 && natsUp && !this.stopping ? "ok" : "degraded",
      enclaves: { connected: this.sessions.size, attested },
      nats: natsUp ? "connected" : "disconnected",
      counters: { ...this.counters },
      uptimeMs: Date.now() - this.startedAt,
    };
  }

  /**
   * Stops accepting connections, lets every session finish its in-flight work (up
   * to `timeoutMs`), then closes them. Upstreams are left to their owner.
   */
  async stop(timeoutMs?: number): Promise<void> {
    this.stopping = true;
    // Closing the listener resolves only once every accepted stream has ended, so
    // the sessions are drained first and the listener awaited after.
    const closing = this.listener?.close();
    this.listener = undefined;
    await Promise.all([...this.sessions].map((session) => session.shutdown(timeoutMs)));
    await closing;
    this.options.metrics.publishStoredMetrics();
  }

  private accept(stream: Duplex): void {
    if (this.stopping || this.sessions.size >= (this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)) {
      this.options.logger.warn("enclave connection refused", { reason: this.stopping ? "stopping" : "too many" });
      stream.destroy();
      return;
    }
    this.counters.connections += 1;
    if (this.counters.connections > 1) this.counters.reconnects += 1;
    const { transport: _transport, maxConnections: _max, ...deps } = this.options;
    const session = new EnclaveSession(stream, { ...deps, counters: this.counters }, (closed) =>
      this.sessions.delete(closed),
    );
    this.sessions.add(session);
    void session.attest();
  }
}

import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { isVettidError, toVettidError, VettidError } from "../lib/errors";
import { FrameLink, type FrameLinkOptions } from "../lib/frame-link";
import type { Frame, FrameValue } from "../lib/frames";
import {
  ATTEST_NONCE_BYTES,
  asRecord,
  CONTROL_OPS,
  HEALTH_OPS,
  MAX_ATTESTATION_BYTES,
  MAX_NATS_KEY_CIPHERTEXT_BYTES,
  readBytes,
} from "../lib/proxy-protocol";
import type { ActiveVaults } from "./active-vaults";
import { blobChannel } from "./channels/blob";
import { NatsBridge } from "./channels/nats";
import { type HostLogger, type HostMetrics, logEntry, metricPoint } from "./channels/telemetry";
import { TunnelBridge, type TunnelBridgeDeps } from "./channels/tunnel";
import type { ProxyCounters } from "./counters";
import type { ServedVaults } from "./policy";
import { TELEMETRY_PER_SECOND, TokenBucket } from "./rate-limit";
import type { BlobStore, CredentialSource, NatsUpstream } from "./upstreams/types";
import type { EnclaveIdentity, EnclaveVerifier } from "./verifier";

/** Everything a session needs; shared by all sessions of a proxy. */
export interface SessionDeps {
  verifier: EnclaveVerifier;
  nats: NatsUpstream;
  /** Where the byte tunnels reach, per upstream: the regional KMS endpoint, and the NATS nodes in turn. */
  tunnels: TunnelBridgeDeps["targets"];
  /** The instance role's credentials, handed to the attested enclave for its own KMS calls. */
  credentials: CredentialSource;
  /**
   * The runtime's sealed NATS signing key (a KMS ciphertext only an attested enclave can
   * open; decision 0072), read when the enclave asks; a host without one refuses `NOT_FOUND`.
   */
  natsKey?: () => Promise<Uint8Array | undefined>;
  blob: BlobStore;
  served: ServedVaults;
  logger: HostLogger;
  metrics: HostMetrics;
  counters: ProxyCounters;
  /** The vaults served lately (the heartbeat's `vaultCount`); none tracked if omitted. */
  activeVaults?: ActiveVaults;
  /** Test seam for the tunnels' TCP connections. */
  tunnelConnect?: TunnelBridgeDeps["connect"];
  /** How long the enclave has to answer the attestation challenge (default 10 s). */
  attestTimeoutMs?: number;
  link?: Pick<FrameLinkOptions, "maxFrameBytes" | "maxInFlight" | "maxPending" | "highWaterBytes" | "requestTimeoutMs">;
}

/** Default time to answer the challenge: an NSM attest takes milliseconds; 10 s covers a busy enclave. */
const DEFAULT_ATTEST_TIMEOUT_MS = 10_000;

/**
 * One enclave connection. On connect the proxy sends a fresh nonce, verifies the
 * attestation document the enclave answers with, and only then sends `ready` and
 * bridges channels. Before that, every request is refused `UNAUTHENTICATED` and every
 * one-way frame dropped; an enclave that fails verification is disconnected.
 */
export class EnclaveSession {
  readonly link: FrameLink;
  private verified: EnclaveIdentity | undefined;
  private readonly nats: NatsBridge;
  private readonly tunnel: TunnelBridge;
  private readonly blob: (frame: Frame) => Promise<FrameValue>;
  private readonly telemetryBudget = new TokenBucket(TELEMETRY_PER_SECOND);

  constructor(
    stream: Duplex,
    private readonly deps: SessionDeps,
    onClosed: (session: EnclaveSession) => void,
  ) {
    this.link = new FrameLink(stream, {
      ...deps.link,
      counters: deps.counters,
      onRequest: (frame) => this.onRequest(frame),
      onMessage: (frame) => this.onMessage(frame),
      onClose: (error) => {
        this.nats.dispose();
        this.tunnel.dispose();
        if (error) deps.logger.warn("enclave link closed", { code: error.code });
        onClosed(this);
      },
    });
    this.nats = new NatsBridge(this.link, {
      nats: deps.nats,
      served: deps.served,
      ...(deps.activeVaults ? { onRequest: (vaultId: string) => deps.activeVaults?.seen(vaultId) } : {}),
      onRefused: (op) => {
        deps.counters.refused += 1;
        deps.logger.warn("enclave refused", { channel: "nats", op });
      },
    });
    this.tunnel = new TunnelBridge(this.link, {
      targets: deps.tunnels,
      ...(deps.tunnelConnect ? { connect: deps.tunnelConnect } : {}),
    });
    this.blob = blobChannel({ store: deps.blob, served: deps.served });
  }

  /** The verified enclave, once attested. */
  get identity(): EnclaveIdentity | undefined {
    return this.verified;
  }

  /**
   * Challenges the enclave and verifies its answer. Resolves true when the session
   * is ready; false when the enclave failed (the link is then closed).
   */
  async attest(): Promise<boolean> {
    const nonce = new Uint8Array(randomBytes(ATTEST_NONCE_BYTES));
    try {
      const answer = await this.link.request(
        "control",
        CONTROL_OPS.attest,
        { nonce },
        this.deps.attestTimeoutMs ?? DEFAULT_ATTEST_TIMEOUT_MS,
      );
      const document = readBytes(asRecord(answer), "document", MAX_ATTESTATION_BYTES);
      const identity = await this.deps.verifier.verify(document, nonce);
      if (!this.link.isOpen) return false;
      this.verified = identity;
      this.deps.counters.attested += 1;
      this.deps.logger.info("enclave attested", { moduleId: identity.moduleId, pcr0: identity.pcr0 });
      const served = this.deps.served.list();
      this.link.send("control", CONTROL_OPS.ready, {
        pcr0: identity.pcr0,
        vaults: served === "all" ? "all" : [...served],
      });
      return true;
    } catch (err) {
      const error = toVettidError(err);
      this.deps.counters.attestationFailures += 1;
      this.deps.logger.warn("enclave attestation failed; disconnecting", { code: error.code });
      this.link.close(isVettidError(error) ? error : new VettidError("ATTESTATION_INVALID"));
      return false;
    }
  }

  /** Drains in-flight work and closes. */
  shutdown(timeoutMs?: number): Promise<void> {
    return this.link.shutdown(timeoutMs);
  }

  private onRequest(frame: Frame): FrameValue | Promise<FrameValue> {
    if (!this.verified) throw new VettidError("UNAUTHENTICATED", "the enclave is not attested yet");
    switch (frame.channel) {
      case "nats":
        return this.nats.handle(frame);
      case "tunnel":
        return this.tunnel.handle(frame);
      case "control":
        if (frame.type === CONTROL_OPS.credentials) return this.credentials();
        if (frame.type === CONTROL_OPS.natsKey) return this.natsKey();
        throw new VettidError("BAD_REQUEST", "unknown control operation");
      case "blob":
        return this.blob(frame).catch((err: unknown) => {
          if (isVettidError(err, "FORBIDDEN")) this.deps.counters.refused += 1;
          throw err;
        });
      case "health":
        if (frame.type === HEALTH_OPS.ping) {
          return { status: this.deps.nats.connected() ? "ok" : "degraded", nats: this.deps.nats.connected() };
        }
        throw new VettidError("BAD_REQUEST", "unknown health operation");
      default:
        throw new VettidError("BAD_REQUEST", `no requests on channel ${frame.channel}`);
    }
  }

  private async credentials(): Promise<FrameValue> {
    const identity = await this.deps.credentials();
    return {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      sessionToken: identity.sessionToken ?? null,
      expiration: identity.expiration ? identity.expiration.getTime() : null,
    };
  }

  private async natsKey(): Promise<FrameValue> {
    const ciphertext = await this.deps.natsKey?.();
    if (ciphertext === undefined) throw new VettidError("NOT_FOUND", "no runtime NATS key on this host");
    if (ciphertext.length === 0 || ciphertext.length > MAX_NATS_KEY_CIPHERTEXT_BYTES) {
      throw new VettidError("UNAVAILABLE", "the runtime NATS key on this host has a wrong size");
    }
    return { ciphertext };
  }

  private onMessage(frame: Frame): void {
    if (!this.verified) return;
    if ((frame.channel === "log" || frame.channel === "metrics") && !this.telemetryBudget.take()) {
      this.deps.counters.dropped += 1;
      return;
    }
    try {
      if (frame.channel === "nats") this.nats.handleOneWay(frame);
      else if (frame.channel === "log") logEntry(frame, this.deps.logger);
      else if (frame.channel === "metrics") metricPoint(frame, this.deps.metrics);
    } catch (err) {
      // One-way frames have no reply; a bad one is counted and logged, never fatal.
      const error = toVettidError(err);
      if (error.code !== "FORBIDDEN") this.deps.counters.errors += 1; // refusals are counted by the channel
      this.deps.logger.warn("enclave one-way frame refused", { channel: frame.channel, code: error.code });
    }
  }
}

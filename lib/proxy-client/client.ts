import { VettidError } from "../errors";
import { createLinkCounters, FrameLink, type FrameLinkOptions, type LinkCounters, type Transport } from "../frame-link";
import type { Channel, Frame, FrameValue } from "../frames";
import {
  ATTEST_NONCE_BYTES,
  asRecord,
  CONTROL_OPS,
  HEALTH_OPS,
  type LOG_LEVELS,
  LOG_OPS,
  MAX_CREDENTIAL_LENGTH,
  MAX_NATS_KEY_CIPHERTEXT_BYTES,
  type METRIC_UNITS,
  METRICS_OPS,
  NATS_OPS,
  PROXY_ATTESTATION_PURPOSE,
  readBytes,
  readOptionalString,
  readString,
} from "../proxy-protocol";
import { type BackoffOptions, backoffDelay } from "./backoff";
import { BlobChannel } from "./blob-channel";
import { NatsChannel } from "./nats-channel";
import { TunnelChannel } from "./tunnel-channel";
import type { AwsCredentials, ClientState } from "./types";

/** Options of {@link ProxyClient}. */
export interface ProxyClientOptions {
  /** How to reach the proxy (a Unix socket here; the vsock bridge in production). */
  transport: Transport;
  /**
   * Produces an attestation document that carries `nonce` and `userData` (the NSM's
   * `attest`; `userData` is always {@link PROXY_ATTESTATION_PURPOSE}). Called on every
   * connection: the proxy bridges nothing until it has verified it.
   */
  attest(request: { nonce: Uint8Array; userData: Uint8Array }): Promise<Uint8Array>;
  reconnect?: BackoffOptions;
  /** How long to wait for the proxy's `ready` after connecting (default 30 s). */
  readyTimeoutMs?: number;
  /** Limits of each link (see FrameLink). */
  link?: Pick<FrameLinkOptions, "maxFrameBytes" | "maxInFlight" | "maxPending" | "highWaterBytes" | "requestTimeoutMs">;
  /** Source of randomness for back-off jitter (tests make it deterministic). */
  random?: () => number;
}

/** Default wait for `ready`: attestation verification takes milliseconds; 30 s covers a cold host. */
const DEFAULT_READY_TIMEOUT_MS = 30_000;

/**
 * The enclave side of the proxy link. Connects through the transport, answers the
 * proxy's attestation challenge, then offers the channels: `nats`, `tunnel` (byte
 * streams for TLS that ends in the enclave), `blob`, `log`, `metrics`, `health`. When the link drops it reconnects with exponential
 * back-off and jitter and subscribes again; requests in flight at that moment fail
 * `CHANNEL_CLOSED` (retryable), and requests made while disconnected fail at once
 * with `CHANNEL_CLOSED` (wait with {@link ready} to retry).
 *
 * The client trusts nothing it receives: every frame is bounds-checked by the
 * decoder, and every body field is validated before use.
 *
 * @example
 * const client = new ProxyClient({ transport, attest: (nonce) => nsm.attest({ nonce }) });
 * client.start();
 * await client.ready();
 * client.nats.subscribe(vaultRequestWildcard(vaultId), (msg) => client.nats.respond(msg.reply, answer(msg)));
 */
export class ProxyClient {
  readonly nats: NatsChannel;
  readonly tunnel: TunnelChannel;
  readonly blob: BlobChannel;
  /** Counters over every link this client has had. */
  readonly counters: LinkCounters = createLinkCounters();
  private readonly options: ProxyClientOptions;
  private link: FrameLink | undefined;
  private state: ClientState = "connecting";
  private started = false;
  private attempt = 0;
  private everReady = false;
  private reconnectCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private readyWaiters: { resolve: () => void; reject: (err: VettidError) => void }[] = [];
  private servedVaults: readonly string[] | "all" | undefined;

  constructor(options: ProxyClientOptions) {
    this.options = options;
    this.nats = new NatsChannel(
      (channel, type, body, timeoutMs) => this.request(channel, type, body, timeoutMs),
      (type, body) => this.send("nats", type, body),
    );
    this.tunnel = new TunnelChannel((channel, type, body, timeoutMs) => this.request(channel, type, body, timeoutMs));
    this.blob = new BlobChannel((channel, type, body, timeoutMs) => this.request(channel, type, body, timeoutMs));
  }

  /** Current state. */
  get currentState(): ClientState {
    return this.state;
  }

  /**
   * The vaults the host says it serves (its `ready` message): ids, `"all"` (local /
   * dev), or `undefined` before the first `ready`. The host decides availability only:
   * which devices may open a vault is decided inside the enclave.
   */
  get served(): readonly string[] | "all" | undefined {
    return this.servedVaults;
  }

  /** How many times the link was re-established after the first time. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Starts connecting (and reconnecting whenever the link drops). */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  /**
   * Resolves when the link is attested and ready.
   * @throws VettidError `TIMEOUT` after `timeoutMs`, `CHANNEL_CLOSED` when the client closes.
   */
  ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.state === "ready") return Promise.resolve();
    if (this.state === "closed") return Promise.reject(new VettidError("CHANNEL_CLOSED", "the client is closed"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(new VettidError("TIMEOUT", `the proxy link was not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: VettidError) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.readyWaiters.push(waiter);
    });
  }

  /** Sends a log entry to the host's logger (one-way; dropped when disconnected). */
  log(
    level: (typeof LOG_LEVELS)[number],
    message: string,
    fields: Record<string, string | number | boolean> = {},
  ): boolean {
    return this.send("log", LOG_OPS.entry, { level, message, fields });
  }

  /** Sends one metric data point to the host's metrics (one-way; dropped when disconnected). */
  metric(name: string, unit: (typeof METRIC_UNITS)[number], value: number): boolean {
    return this.send("metrics", METRICS_OPS.put, { name, unit, value });
  }

  /**
   * The instance role's AWS credentials, from the host (it holds them anyway). They
   * let the enclave sign its own KMS requests; what protects vault keys is the key
   * policy's attestation condition and the TLS session that ends in the enclave.
   * @throws VettidError `BAD_REQUEST` when the host's answer is malformed.
   */
  async awsCredentials(): Promise<AwsCredentials> {
    const body = asRecord(await this.request("control", CONTROL_OPS.credentials, null));
    const expiration = body.expiration;
    if (
      expiration !== undefined &&
      expiration !== null &&
      (typeof expiration !== "number" || !Number.isFinite(expiration))
    ) {
      throw new VettidError("BAD_REQUEST", "expiration must be a time in ms or null");
    }
    const sessionToken = readOptionalString(body, "sessionToken", MAX_CREDENTIAL_LENGTH);
    return {
      accessKeyId: readString(body, "accessKeyId", MAX_CREDENTIAL_LENGTH),
      secretAccessKey: readString(body, "secretAccessKey", MAX_CREDENTIAL_LENGTH),
      ...(sessionToken ? { sessionToken } : {}),
      ...(typeof expiration === "number" ? { expiration: new Date(expiration) } : {}),
    };
  }

  /**
   * The runtime's sealed NATS signing key from the host: a KMS ciphertext that only KMS Decrypt
   * with this enclave's attested Recipient opens (decision 0072).
   * @throws VettidError `NOT_FOUND` when the host has none.
   */
  async natsKeyCiphertext(): Promise<Uint8Array> {
    const body = asRecord(await this.request("control", CONTROL_OPS.natsKey, null));
    return readBytes(body, "ciphertext", MAX_NATS_KEY_CIPHERTEXT_BYTES);
  }

  /** Asks the proxy for its health (upstream status). */
  async ping(): Promise<FrameValue> {
    return this.request("health", HEALTH_OPS.ping, null);
  }

  /** Stops reconnecting, lets in-flight requests finish (up to `timeoutMs`) and closes. */
  async close(timeoutMs?: number): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.timer);
    for (const waiter of this.readyWaiters.splice(0)) {
      waiter.reject(new VettidError("CHANNEL_CLOSED", "the client is closed"));
    }
    const link = this.link;
    this.link = undefined;
    if (link) await link.shutdown(timeoutMs);
  }

  /** Reads the state through a call so narrowing does not survive an `await`. */
  private isClosed(): boolean {
    return this.state === "closed";
  }

  private request(channel: Channel, type: string, body: FrameValue, timeoutMs?: number): Promise<FrameValue> {
    const link = this.link;
    if (this.state !== "ready" || !link) {
      return Promise.reject(new VettidError("CHANNEL_CLOSED", "the proxy link is not ready"));
    }
    return link.request(channel, type, body, timeoutMs);
  }

  private send(channel: Channel, type: string, body: FrameValue): boolean {
    const link = this.link;
    if (this.state !== "ready" || !link) return false;
    return link.send(channel, type, body);
  }

  private async connect(): Promise<void> {
    if (this.state === "closed") return;
    let link: FrameLink | undefined;
    try {
      const stream = await this.options.transport.connect();
      if (this.isClosed()) {
        stream.destroy();
        return;
      }
      let markReady: (() => void) | undefined;
      const readyPromise = new Promise<void>((resolve) => {
        markReady = resolve;
      });
      link = new FrameLink(stream, {
        ...this.options.link,
        counters: this.counters,
        onRequest: (frame) => this.onRequest(frame),
        onMessage: (frame) => {
          if (frame.channel === "control" && frame.type === CONTROL_OPS.ready) {
            this.servedVaults = readServed(frame.body);
            markReady?.();
          } else if (frame.channel === "nats" && frame.type === NATS_OPS.message) this.nats.deliver(frame.body);
        },
        onClose: () => this.onLinkClosed(link as FrameLink),
      });
      this.link = link;
      const timeoutMs = this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        readyPromise.then(() => "ready" as const),
        link.closedReason.then(() => "closed" as const),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (outcome !== "ready") {
        link.close(new VettidError("TIMEOUT", "the proxy did not confirm attestation"));
        return;
      }
      await this.nats.resubscribe(link);
      if (!link.isOpen || this.link !== link) return;
      if (this.everReady) this.reconnectCount += 1;
      this.everReady = true;
      this.attempt = 0;
      this.state = "ready";
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    } catch {
      const current = this.link;
      if (current?.isOpen) current.close(new VettidError("UNAVAILABLE", "the link could not be set up"));
      else this.scheduleReconnect();
    }
  }

  private onLinkClosed(link: FrameLink): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.nats.linkClosed();
    this.tunnel.linkClosed();
    if (this.state === "closed") return;
    this.state = "connecting";
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === "closed" || this.timer !== undefined) return;
    const delay = backoffDelay(this.attempt, this.options.reconnect, this.options.random);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
  }

  private async onRequest(frame: Frame): Promise<FrameValue> {
    if (frame.channel === "control" && frame.type === CONTROL_OPS.attest) {
      const nonce = readBytes(asRecord(frame.body), "nonce", ATTEST_NONCE_BYTES);
      if (nonce.length !== ATTEST_NONCE_BYTES) throw new VettidError("BAD_REQUEST", "nonce must be 32 bytes");
      const document = await this.options.attest({
        nonce,
        userData: new TextEncoder().encode(PROXY_ATTESTATION_PURPOSE),
      });
      return { document };
    }
    if (frame.channel === "tunnel") return this.tunnel.handle(frame);
    if (frame.channel === "health" && frame.type === HEALTH_OPS.ping) {
      return { status: this.state === "ready" ? "ok" : "starting" };
    }
    throw new VettidError("BAD_REQUEST", `unsupported request ${frame.channel}.${frame.type}`);
  }
}

/** Longest list of served vaults in a `ready` message (a host serves a few hundred vaults at most). */
const MAX_SERVED_VAULTS = 100_000;
const VAULT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The `vaults` of a `ready` body: a list of ids, `"all"`, or (absent, malformed) none. */
function readServed(body: FrameValue): readonly string[] | "all" {
  if (typeof body !== "object" || body === null || Array.isArray(body) || body instanceof Uint8Array) return [];
  const vaults = (body as Record<string, FrameValue>).vaults;
  if (vaults === "all") return "all";
  if (!Array.isArray(vaults) || vaults.length > MAX_SERVED_VAULTS) return [];
  return vaults.filter((id): id is string => typeof id === "string" && VAULT_ID.test(id));
}

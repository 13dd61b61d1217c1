import { Duplex } from "node:stream";
import { VettidError } from "../errors";
import type { Frame, FrameValue } from "../frames";
import {
  asRecord,
  MAX_TUNNEL_CHUNK_BYTES,
  MAX_TUNNEL_ID,
  MAX_TUNNELS,
  readBytes,
  readInteger,
  TUNNEL_OPS,
  type TUNNEL_UPSTREAMS,
} from "../proxy-protocol";
import type { Requester } from "./requester";

/** An upstream a tunnel may reach (the host maps it to addresses of its own). */
export type TunnelUpstream = (typeof TUNNEL_UPSTREAMS)[number];

/**
 * Bytes from the proxy a tunnel buffers before its `data` answers wait for the reader:
 * four full TLS records (4 × 16 KiB). The proxy sends the next chunk only after the
 * answer, so this bounds what one tunnel holds.
 */
const READ_HIGH_WATER_BYTES = 64 * 1024;

/**
 * A tunnel that fails behaves like a TCP connection the peer reset (`ECONNRESET`), so
 * HTTP clients above it (the AWS SDK) treat it as the transient network failure it is.
 */
function connectionReset(cause: unknown): Error {
  return Object.assign(new Error("the tunnel to the upstream closed", { cause }), { code: "ECONNRESET" });
}

/**
 * One tunnel as a duplex byte stream: what is written goes to the upstream through the
 * proxy, what the upstream sends is read. Meant to carry TLS (`tls.connect({ socket })`),
 * so nothing here needs to trust the bytes or the host.
 */
class TunnelStream extends Duplex {
  /** `open` returned it: someone listens for its errors. Before that, its open request reports the failure. */
  handedOut = false;
  private sentEnd = false;
  private readWaiters: (() => void)[] = [];

  constructor(
    readonly id: number,
    private readonly request: Requester,
    private readonly onGone: (id: number) => void,
  ) {
    super({ readableHighWaterMark: READ_HIGH_WATER_BYTES, allowHalfOpen: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sendChunks(chunk).then(
      () => callback(),
      (err: unknown) => callback(connectionReset(err)),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sentEnd = true;
    this.request("tunnel", TUNNEL_OPS.end, { stream: this.id, abort: false }).then(
      () => callback(),
      (err: unknown) => callback(connectionReset(err)),
    );
  }

  override _read(): void {
    for (const wake of this.readWaiters.splice(0)) wake();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.onGone(this.id);
    for (const wake of this.readWaiters.splice(0)) wake();
    if (!this.sentEnd) {
      this.sentEnd = true;
      // Tell the proxy to drop the upstream connection; the link may already be gone.
      this.request("tunnel", TUNNEL_OPS.end, { stream: this.id, abort: true }).catch(() => undefined);
    }
    callback(error);
  }

  /** Bytes from the upstream; resolves once the reader wants more (the flow control). */
  deliver(data: Uint8Array): Promise<void> | undefined {
    if (this.destroyed || this.readableEnded) throw new VettidError("BAD_REQUEST", "data after the tunnel ended");
    if (this.push(data)) return undefined;
    return new Promise((resolve) => this.readWaiters.push(resolve));
  }

  /** The upstream closed its side (`abort`: the connection failed). */
  remoteEnd(abort: boolean): void {
    if (abort) this.destroy(connectionReset(undefined));
    else this.push(null);
  }

  private async sendChunks(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length; offset += MAX_TUNNEL_CHUNK_BYTES) {
      const data = chunk.subarray(offset, offset + MAX_TUNNEL_CHUNK_BYTES);
      await this.request("tunnel", TUNNEL_OPS.data, { stream: this.id, data });
    }
  }
}

/**
 * The `tunnel` channel of the enclave-side client: byte streams to the host's one
 * allow-listed upstream per name (KMS), for TLS that ends inside the enclave. The
 * enclave numbers its tunnels, so bytes the proxy sends right after `open` always find
 * their stream. Every stream ends when the link drops.
 *
 * @example
 * const socket = await client.tunnel.open("kms");
 * const tlsSocket = tls.connect({ socket, servername: "kms.eu-central-1.amazonaws.com", ca });
 */
export class TunnelChannel {
  private readonly streams = new Map<number, TunnelStream>();
  private nextId = 1;

  constructor(private readonly request: Requester) {}

  /** Tunnels open now. */
  get openCount(): number {
    return this.streams.size;
  }

  /**
   * Opens a tunnel to `upstream` and resolves once the proxy has connected it.
   * @throws VettidError `OVERLOADED` beyond {@link MAX_TUNNELS}; the proxy's error
   *   (`FORBIDDEN`, `UNAVAILABLE`) when it refuses or cannot connect.
   */
  async open(upstream: TunnelUpstream): Promise<Duplex> {
    if (this.streams.size >= MAX_TUNNELS) {
      throw new VettidError("OVERLOADED", `more than ${MAX_TUNNELS} tunnels open`);
    }
    const id = this.allocateId();
    const stream = new TunnelStream(id, this.request, (gone) => {
      if (this.streams.get(gone) === stream) this.streams.delete(gone);
    });
    this.streams.set(id, stream);
    try {
      await this.request("tunnel", TUNNEL_OPS.open, { stream: id, upstream });
    } catch (err) {
      this.streams.delete(id);
      stream.destroy();
      throw err;
    }
    if (stream.destroyed) throw new VettidError("CHANNEL_CLOSED", "the proxy link closed");
    stream.handedOut = true;
    return stream;
  }

  /** Handles a `tunnel` request from the proxy (`data` or `end` of an open tunnel). */
  handle(frame: Frame): FrameValue | Promise<FrameValue> {
    const body = asRecord(frame.body);
    const id = readInteger(body, "stream", 1, MAX_TUNNEL_ID);
    const stream = this.streams.get(id);
    if (!stream) throw new VettidError("NOT_FOUND", "no such tunnel");
    switch (frame.type) {
      case TUNNEL_OPS.data: {
        const wait = stream.deliver(readBytes(body, "data", MAX_TUNNEL_CHUNK_BYTES));
        return wait ? wait.then(() => null) : null;
      }
      case TUNNEL_OPS.end:
        stream.remoteEnd(body.abort === true);
        return null;
      default:
        throw new VettidError("BAD_REQUEST", "unknown tunnel operation");
    }
  }

  /**
   * Ends every tunnel: the link they ran over is gone. A tunnel still opening is
   * destroyed without an error (no one holds it to hear one); its `open` rejects with
   * the link's error instead.
   */
  linkClosed(): void {
    for (const stream of [...this.streams.values()]) {
      stream.destroy(
        stream.handedOut ? connectionReset(new VettidError("CHANNEL_CLOSED", "the proxy link closed")) : undefined,
      );
    }
    this.streams.clear();
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_TUNNEL_ID ? 1 : id + 1;
      if (!this.streams.has(id)) return id;
    }
  }
}

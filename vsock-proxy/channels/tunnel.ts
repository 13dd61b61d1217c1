import { connect, type Socket } from "node:net";
import { VettidError } from "../../lib/errors";
import type { FrameLink } from "../../lib/frame-link";
import type { Frame, FrameValue } from "../../lib/frames";
import {
  asRecord,
  MAX_TUNNEL_CHUNK_BYTES,
  MAX_TUNNEL_ID,
  MAX_TUNNELS,
  readBytes,
  readInteger,
  readOneOf,
  TUNNEL_OPS,
  TUNNEL_UPSTREAMS,
} from "../../lib/proxy-protocol";

/** Where the host sends one tunnel upstream: a host name (or address) and a TCP port. */
export interface TunnelTarget {
  host: string;
  port: number;
  /** A tunnel to this target idle this long is closed (default: its list's, then the bridge's {@link TunnelBridgeDeps.idleTimeoutMs}). */
  idleTimeoutMs?: number;
}

/**
 * An upstream reachable at several addresses, the nodes of a NATS cluster: an `open`
 * tries them in turn, from the one that last accepted, so losing one node costs the
 * enclave one reconnect.
 */
export interface TunnelTargetList {
  /** 1..{@link MAX_TUNNEL_TARGETS} addresses, each tried for the connect timeout at most. */
  targets: readonly TunnelTarget[];
  /** A tunnel idle this long is closed (default: the bridge's {@link TunnelBridgeDeps.idleTimeoutMs}). */
  idleTimeoutMs?: number;
}

type TunnelUpstream = (typeof TUNNEL_UPSTREAMS)[number];

/** Dependencies of a {@link TunnelBridge}. */
export interface TunnelBridgeDeps {
  /**
   * The addresses per upstream name: KMS has its one regional endpoint, NATS may list
   * its nodes; an upstream without one is `FORBIDDEN`.
   */
  targets: { kms?: TunnelTarget; nats?: TunnelTarget | TunnelTargetList };
  /** Opens the TCP connection (tests substitute it). */
  connect?: (target: TunnelTarget) => Socket;
  /** How long to wait for one address to accept (default {@link DEFAULT_CONNECT_TIMEOUT_MS}). */
  connectTimeoutMs?: number;
  /** A tunnel idle this long is closed (default {@link DEFAULT_IDLE_TIMEOUT_MS}). */
  idleTimeoutMs?: number;
}

/** What a {@link TunnelBridge} needs of its enclave link. */
export type TunnelLink = Pick<FrameLink, "isOpen" | "request">;

/** KMS answers a TCP connect within milliseconds inside the VPC; 5 s means it is unreachable. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Idle tunnels are closed after 60 s: longer than the SDK's keep-alive reuse of a socket
 * between two KMS calls of one operation, short enough that an idle enclave holds none.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * A NATS tunnel is one long-lived connection: idle means neither side pinged for 5
 * minutes, more than twice the 2-minute ping interval of nats.js and nats-server, so
 * a live connection is never closed as idle and a dead one is within minutes.
 */
export const NATS_TUNNEL_IDLE_TIMEOUT_MS = 300_000;

/**
 * Most addresses one upstream may list. Derivation: a JetStream cluster has an odd
 * number of nodes, 3 or 5 in practice; 8 covers a 7-node cluster, and bounds an open
 * whose every address times out at 8 × {@link DEFAULT_CONNECT_TIMEOUT_MS} = 40 s (an
 * enclave whose open request gives up sooner ends the tunnel, which stops the attempts).
 */
export const MAX_TUNNEL_TARGETS = 8;

interface Tunnel {
  /** The upstream connection; while the tunnel opens, the attempt at the address being tried. */
  socket: Socket;
  /** The enclave sent `end`: no more data from it. */
  enclaveEnded: boolean;
}

/**
 * The `tunnel` channel of one enclave connection: forwards bytes between the enclave
 * and the allow-listed addresses per upstream name (the regional KMS endpoint, the
 * NATS nodes). The proxy parses nothing inside: the bytes are a TLS session between
 * the enclave and KMS or NATS, so the host can delay or cut it, never read or change
 * it. Flow control both ways: a `data` request is answered once its bytes were handed
 * on, and the upstream socket is paused while its bytes are on their way to the enclave.
 *
 * An upstream with several addresses is tried in turn, from the one that last accepted
 * on this connection; an address that refuses or does not accept within the connect
 * timeout hands over to the next, and the open fails with the last error only when all
 * did. The preference lives as long as the enclave connection, which carries every
 * reconnect of the runtime's NATS connection; a new enclave connection starts from the
 * first address again.
 */
export class TunnelBridge {
  private readonly tunnels = new Map<number, Tunnel>();
  /** Per upstream, the index of the address that last accepted. */
  private readonly lastAccepted = new Map<TunnelUpstream, number>();

  constructor(
    private readonly link: TunnelLink,
    private readonly deps: TunnelBridgeDeps,
  ) {}

  /** Tunnels open now. */
  get openCount(): number {
    return this.tunnels.size;
  }

  /** Handles one request frame of the channel. */
  handle(frame: Frame): FrameValue | Promise<FrameValue> {
    const body = asRecord(frame.body);
    const id = readInteger(body, "stream", 1, MAX_TUNNEL_ID);
    switch (frame.type) {
      case TUNNEL_OPS.open:
        return this.open(id, readOneOf(body, "upstream", TUNNEL_UPSTREAMS));
      case TUNNEL_OPS.data:
        return this.write(this.get(id), readBytes(body, "data", MAX_TUNNEL_CHUNK_BYTES));
      case TUNNEL_OPS.end: {
        const tunnel = this.tunnels.get(id);
        if (!tunnel) return null; // already closed from the upstream's side
        tunnel.enclaveEnded = true;
        if (body.abort === true) tunnel.socket.destroy();
        else tunnel.socket.end();
        return null;
      }
      default:
        throw new VettidError("BAD_REQUEST", "unknown tunnel operation");
    }
  }

  /** Closes every tunnel of this connection. */
  dispose(): void {
    for (const tunnel of this.tunnels.values()) tunnel.socket.destroy();
    this.tunnels.clear();
  }

  private get(id: number): Tunnel {
    const tunnel = this.tunnels.get(id);
    if (!tunnel) throw new VettidError("NOT_FOUND", "no such tunnel");
    return tunnel;
  }

  private async open(id: number, upstream: TunnelUpstream): Promise<FrameValue> {
    const configured = this.deps.targets[upstream];
    if (!configured) throw new VettidError("FORBIDDEN", `no tunnel to ${upstream} on this host`);
    if (this.tunnels.has(id)) throw new VettidError("CONFLICT", "tunnel id already in use");
    if (this.tunnels.size >= MAX_TUNNELS) throw new VettidError("OVERLOADED", `more than ${MAX_TUNNELS} tunnels`);
    const list: TunnelTargetList = "targets" in configured ? configured : { targets: [configured] };
    if (list.targets.length === 0) throw new VettidError("FORBIDDEN", `no tunnel to ${upstream} on this host`);
    // the id is held from the first attempt to the last, so it counts against MAX_TUNNELS
    const first = (this.lastAccepted.get(upstream) ?? 0) % list.targets.length;
    const tunnel: Tunnel = { socket: this.dial(list.targets[first] as TunnelTarget), enclaveEnded: false };
    this.tunnels.set(id, tunnel);
    let target: TunnelTarget;
    try {
      const accepted = await this.connectInTurn(id, tunnel, list.targets, first);
      this.lastAccepted.set(upstream, accepted);
      target = list.targets[accepted] as TunnelTarget;
      if (!this.link.isOpen) throw new VettidError("CHANNEL_CLOSED", "the enclave link closed");
    } catch (err) {
      if (this.tunnels.get(id) === tunnel) this.tunnels.delete(id);
      tunnel.socket.destroy();
      throw err;
    }
    const socket = tunnel.socket;
    socket.setNoDelay(true);
    socket.setTimeout(
      target.idleTimeoutMs ?? list.idleTimeoutMs ?? this.deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      () => socket.destroy(),
    );
    socket.on("data", (chunk: Buffer) => this.toEnclave(id, socket, chunk));
    socket.on("end", () => this.notifyEnd(id, socket, false));
    socket.on("error", () => undefined); // 'close' follows and reports it
    socket.on("close", (hadError: boolean) => {
      if (this.tunnels.get(id)?.socket !== socket) return;
      this.tunnels.delete(id);
      if (hadError || !socket.readableEnded) this.notifyEnd(id, socket, true);
    });
    return null;
  }

  /**
   * Waits for `tunnel.socket`, dialled to `targets[first]`, to connect; on failure dials
   * the next address into `tunnel.socket`, around the list once. Each address has the
   * connect timeout, so this takes at most `targets.length` of them.
   * @returns the index of the address that accepted
   * @throws the last attempt's VettidError (`UNAVAILABLE`, `TIMEOUT`) when every address
   *   failed, or as soon as the tunnel is no longer wanted (the link closed, the bridge
   *   was disposed, the enclave ended the tunnel)
   */
  private async connectInTurn(
    id: number,
    tunnel: Tunnel,
    targets: readonly TunnelTarget[],
    first: number,
  ): Promise<number> {
    const timeoutMs = this.deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    for (let tried = 1; ; tried++) {
      const index = (first + tried - 1) % targets.length;
      try {
        await connected(tunnel.socket, timeoutMs);
        return index;
      } catch (err) {
        tunnel.socket.destroy();
        const wanted = this.link.isOpen && this.tunnels.get(id) === tunnel && !tunnel.enclaveEnded;
        if (!wanted || tried >= targets.length) throw err;
        tunnel.socket = this.dial(targets[(index + 1) % targets.length] as TunnelTarget);
      }
    }
  }

  private dial(target: TunnelTarget): Socket {
    return (this.deps.connect ?? ((t: TunnelTarget) => connect({ host: t.host, port: t.port })))(target);
  }

  private toEnclave(id: number, socket: Socket, chunk: Buffer): void {
    socket.pause();
    const send = async () => {
      for (let offset = 0; offset < chunk.length; offset += MAX_TUNNEL_CHUNK_BYTES) {
        const data = chunk.subarray(offset, offset + MAX_TUNNEL_CHUNK_BYTES);
        await this.link.request("tunnel", TUNNEL_OPS.data, { stream: id, data });
      }
    };
    send().then(
      () => socket.resume(),
      () => socket.destroy(),
    );
  }

  private notifyEnd(id: number, socket: Socket, abort: boolean): void {
    if (!this.link.isOpen) return;
    this.link.request("tunnel", TUNNEL_OPS.end, { stream: id, abort }).catch(() => socket.destroy());
  }

  private write(tunnel: Tunnel, data: Uint8Array): FrameValue | Promise<FrameValue> {
    if (tunnel.enclaveEnded) throw new VettidError("BAD_REQUEST", "data after the enclave ended the tunnel");
    if (tunnel.socket.write(data)) return null;
    return new Promise<FrameValue>((resolve, reject) => {
      const onDrain = () => {
        tunnel.socket.off("close", onClose);
        resolve(null);
      };
      const onClose = () => {
        tunnel.socket.off("drain", onDrain);
        reject(new VettidError("UNAVAILABLE", "the upstream connection closed"));
      };
      tunnel.socket.once("drain", onDrain);
      tunnel.socket.once("close", onClose);
    });
  }
}

function connected(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new VettidError("TIMEOUT", "the upstream did not accept the connection in time"));
    }, timeoutMs);
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = () => {
      cleanup();
      reject(new VettidError("UNAVAILABLE", "the upstream is unreachable"));
    };
    // destroyed while connecting (the enclave ended the tunnel, the link closed): no 'error' follows
    const onClose = () => {
      cleanup();
      reject(new VettidError("UNAVAILABLE", "the upstream connection closed before it was accepted"));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", onError);
      socket.off("close", onClose);
    };
    socket.once("connect", onConnect);
    socket.once("error", onError);
    socket.once("close", onClose);
  });
}

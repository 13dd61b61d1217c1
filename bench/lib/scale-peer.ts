import { fork } from "node:child_process";
import { join } from "node:path";
import type { ProfileEntry } from "./cpu-profile";
import type { ProcessSpan } from "./process-meter";

const PEER = join(__dirname, "..", "vault-scale-peer.ts");

/** The runtime's memory as bench/vault-scale-peer.ts reports it, after a full GC. */
export interface PeerMemory {
  heapUsed: number;
  external: number;
  storeBytes: number;
  loadedVaults: number;
  openVaults: number;
  sessions: number;
  collected: boolean;
  /** The pause of a full (non-concurrent) garbage collection forced just before, ms. */
  fullGcMs: number;
}

/** A span of the runtime process, with the requests it handled and their wall time in `onMessage`. */
export interface PeerSpan extends ProcessSpan {
  handled: number;
  handledMs: number;
}

/** What each of the peer's commands answers. */
interface Answers {
  memory: PeerMemory;
  span: PeerSpan;
  sweep: { ms: number };
  profile: { top: ProfileEntry[] };
}

/**
 * Forks one vault runtime (bench/vault-scale-peer.ts) and talks to it over IPC:
 * vault requests as the proxy would hand them over, and the peer's dev-only commands.
 */
export function startScalePeer() {
  const child = fork(PEER, [], {
    execArgv: ["--expose-gc", "--max-old-space-size=4096", "--import", "tsx"],
    serialization: "advanced",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", VETTID_ENV: "local" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map<string, (data: Uint8Array) => void>();
  const commandWaiters = new Map<string, ((answer: unknown) => void)[]>();
  let ready: (value: { rootCertificatePem: string; pcrs: Record<number, Uint8Array> }) => void = () => undefined;
  const started = new Promise<{ rootCertificatePem: string; pcrs: Record<number, Uint8Array> }>((resolve) => {
    ready = resolve;
  });
  child.on("message", (message: { t: string; reply?: string; data?: Uint8Array } & Record<string, unknown>) => {
    if (message.t === "answer" && message.reply) {
      const resolve = waiting.get(message.reply);
      waiting.delete(message.reply);
      resolve?.(new Uint8Array(message.data as Uint8Array));
    } else if (message.t === "ready") {
      ready(message as unknown as { rootCertificatePem: string; pcrs: Record<number, Uint8Array> });
    } else {
      commandWaiters.get(message.t)?.shift()?.(message);
    }
  });
  let next = 0;
  function command<T extends keyof Answers>(t: T, extra: Record<string, unknown> = {}): Promise<Answers[T]> {
    const answered = new Promise<Answers[T]>((resolve) => {
      const queue = commandWaiters.get(t) ?? [];
      queue.push(resolve as (answer: unknown) => void);
      commandWaiters.set(t, queue);
    });
    child.send({ t, ...extra });
    return answered;
  }
  return {
    started,
    request(vaultId: string, deviceId: string, data: Uint8Array): Promise<Uint8Array> {
      next += 1;
      const reply = `r.${next}`;
      const answered = new Promise<Uint8Array>((resolve) => waiting.set(reply, resolve));
      child.send({ t: "request", vaultId, deviceId, reply, data });
      return answered;
    },
    memory: () => command("memory"),
    /** What the runtime process spent since the last span. */
    span: () => command("span"),
    /** Runs the runtime's periodic sweep once and answers how long it took. */
    sweep: () => command("sweep"),
    /** Starts the peer's CPU profiler, or stops it and writes `path`. */
    profile: (path: string) => command("profile", { path }),
    stop() {
      child.kill("SIGKILL");
    },
  };
}

/** A forked runtime of {@link startScalePeer}. */
export type ScalePeer = ReturnType<typeof startScalePeer>;

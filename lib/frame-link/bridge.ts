import { type ChildProcessWithoutNullStreams, spawn as spawnChild } from "node:child_process";
import { Duplex } from "node:stream";
import { VettidError } from "../errors";
import type { Transport, TransportListener } from "./transport";

/**
 * The line socat prints (at `-d -d`) once both of its addresses are open and it
 * copies bytes: `… N starting data transfer loop with FDs [0,1] and [5,5]`.
 */
export const SOCAT_READY = /\bN starting data transfer loop\b/;

/**
 * socat's arguments for a bridge between its stdin/stdout and `address` (a socat
 * address such as `VSOCK-CONNECT:3:5005` or `UNIX-CONNECT:/path`): notices on
 * stderr, so that {@link SOCAT_READY} and connect errors can be read there.
 */
export function socatStdioArgs(address: string): string[] {
  return ["-d", "-d", "STDIO", address];
}

/**
 * Stderr lines kept for the error of a failed bridge. Derivation: socat prints
 * four notices before its connect error and one `exit(1)` after it; 8 keeps them all.
 */
const KEPT_STDERR_LINES = 8;

/** Starts a bridge process; `node:child_process` `spawn` in production, a stand-in in tests. */
export type SpawnBridge = (
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdio: ["pipe", "pipe", "pipe"] },
) => ChildProcessWithoutNullStreams;

/** Options of {@link bridgeTransport}. */
export interface BridgeTransportOptions {
  /** Program of the bridge (an absolute path in production). */
  command: string;
  /** Its arguments; it must copy bytes between its stdin/stdout and the peer. */
  args: readonly string[];
  /** A line the bridge prints on stderr once it is connected ({@link SOCAT_READY}). */
  ready: RegExp;
  /** Human-readable address for logs (never secret). */
  address: string;
  /** Environment of the bridge process (default: empty, nothing inherited). */
  env?: NodeJS.ProcessEnv;
  /** Runs before every connection attempt; throws to refuse it before any process starts. */
  guard?: () => void;
  /** Process starter, for tests. */
  spawn?: SpawnBridge;
}

/**
 * A connect-only {@link Transport} through a bridge process: each `connect()` starts
 * the bridge, waits for its readiness line, and returns a duplex stream over the
 * process's stdin (towards the peer) and stdout (from the peer). Destroying the
 * stream ends the process; the process ending (or the peer closing, which ends it)
 * ends the stream. Production: socat from the enclave image bridging to AF_VSOCK
 * (docs/decisions/0052-vsock-bridge-in-the-enclave-image.md); tests: the same socat
 * bridging to a Unix socket.
 */
export function bridgeTransport(options: BridgeTransportOptions): Transport {
  const spawn = options.spawn ?? (spawnChild as unknown as SpawnBridge);
  return {
    address: options.address,
    async listen(): Promise<TransportListener> {
      throw new VettidError("CONFIG_INVALID", `${options.address} can only connect; the proxy listens`);
    },
    async connect(): Promise<Duplex> {
      options.guard?.();
      const child = spawn(options.command, options.args, {
        env: options.env ?? {},
        stdio: ["pipe", "pipe", "pipe"],
      });
      return connected(child, options);
    },
  };
}

/** Resolves with the bridge's stream once it printed its readiness line; rejects if it ends before. */
function connected(child: ChildProcessWithoutNullStreams, options: BridgeTransportOptions): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let pending = "";
    let ready = false;
    const failure = (reason: string, cause?: unknown) =>
      new VettidError("UNAVAILABLE", `cannot connect to ${options.address}: ${reason}`, { cause });
    const detail = () => (lines.length > 0 ? lines.join(" | ") : "no diagnostics");

    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line) {
          lines.push(line);
          if (lines.length > KEPT_STDERR_LINES) lines.shift();
        }
        if (!ready && options.ready.test(line)) {
          ready = true;
          resolve(streamOf(child));
        }
        newline = pending.indexOf("\n");
      }
    });
    child.once("error", (err) => {
      if (!ready) reject(failure(`the bridge ${options.command} did not start (${err.message})`, err));
    });
    // "close", not "exit": a process can exit before its last stderr lines (the connect
    // error) are read; "close" comes once its stdout and stderr have ended too.
    child.once("close", (code, signal) => {
      if (!ready) reject(failure(`the bridge exited (${signal ?? `status ${code}`}): ${detail()}`));
    });
  });
}

/**
 * The duplex stream over a running bridge: writes go to its stdin (a write completes
 * once the pipe took it, so `writableLength` shows the backlog), its stdout is read.
 * When the bridge ends (the peer closed), stdout ends after the last bytes it
 * forwarded, so the readable side ends with nothing lost. Like a socket it is not
 * half-open: the end of either side ends both. Destroying it ends the bridge.
 */
class BridgeStream extends Duplex {
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super({ allowHalfOpen: false });
    child.stdout.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.once("end", () => this.push(null));
    child.stdout.once("error", (err) => this.destroy(err));
    child.stdin.once("error", (err) => this.destroy(err));
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.child.stdin.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    this.child.stdin.destroy();
    this.child.stdout.destroy();
    callback(error);
  }
}

function streamOf(child: ChildProcessWithoutNullStreams): Duplex {
  return new BridgeStream(child);
}

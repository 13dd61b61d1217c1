import { decodeFrameBody } from "./codec";
import { LENGTH_PREFIX_BYTES, MAX_FRAME_BYTES, MIN_BODY_BYTES } from "./constants";
import { FrameError } from "./errors";
import type { Frame, FrameLimits } from "./types";

/**
 * Incremental frame decoder for a byte stream. Feed it whatever the socket
 * delivers (partial frames, several frames at once); it returns every complete
 * frame. Memory held is bounded by one maximum-size frame: the declared length is
 * checked before any of the body is buffered, and bytes are copied once per frame.
 *
 * After the first error the decoder is poisoned and keeps throwing that error: the
 * caller must close the connection, because the stream position is lost.
 *
 * @example
 * const decoder = new FrameDecoder();
 * socket.on("data", (chunk) => { for (const frame of decoder.push(chunk)) handle(frame); });
 * socket.on("end", () => decoder.end());
 */
export class FrameDecoder {
  private readonly maxFrameBytes: number;
  private readonly limits: FrameLimits;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Total bytes (prefix + body) of the frame being assembled, once its prefix is read. */
  private needed: number | undefined;
  private failure: FrameError | undefined;

  constructor(limits: FrameLimits = {}) {
    this.maxFrameBytes = limits.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.limits = limits;
  }

  /** Bytes received but not yet returned as frames. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Adds bytes from the stream and returns the frames they complete.
   * @throws FrameError for malformed, oversized or unsupported frames.
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    try {
      for (;;) {
        if (this.needed === undefined) {
          if (this.buffered < LENGTH_PREFIX_BYTES) break;
          const length = this.peekLength();
          if (length < MIN_BODY_BYTES) {
            throw new FrameError("FRAME_MALFORMED", `declared frame body of ${length} bytes is too short`);
          }
          if (LENGTH_PREFIX_BYTES + length > this.maxFrameBytes) {
            throw new FrameError(
              "FRAME_TOO_LARGE",
              `declared frame of ${LENGTH_PREFIX_BYTES + length} bytes exceeds ${this.maxFrameBytes}`,
            );
          }
          this.needed = LENGTH_PREFIX_BYTES + length;
        }
        if (this.buffered < this.needed) break;
        const bytes = this.take(this.needed);
        this.needed = undefined;
        frames.push(decodeFrameBody(bytes.subarray(LENGTH_PREFIX_BYTES), this.limits));
      }
    } catch (err) {
      this.failure = err instanceof FrameError ? err : new FrameError("FRAME_MALFORMED", "undecodable frame", err);
      this.chunks = [];
      this.buffered = 0;
      throw this.failure;
    }
    return frames;
  }

  /**
   * Signals the end of the stream.
   * @throws FrameError `FRAME_TRUNCATED` when a partial frame is left over.
   */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.buffered > 0) {
      this.failure = new FrameError("FRAME_TRUNCATED", `stream ended inside a frame (${this.buffered} bytes left)`);
      throw this.failure;
    }
  }

  private peekLength(): number {
    const head = this.chunks[0] as Uint8Array;
    const prefix = head.length >= LENGTH_PREFIX_BYTES ? head : this.take(LENGTH_PREFIX_BYTES, false);
    return (
      ((prefix[0] as number) * 0x1000000 +
        (((prefix[1] as number) << 16) | ((prefix[2] as number) << 8) | (prefix[3] as number))) >>>
      0
    );
  }

  /** Removes (or, with `consume` false, copies) the first `n` buffered bytes. */
  private take(n: number, consume = true): Uint8Array {
    const head = this.chunks[0] as Uint8Array;
    if (head.length >= n) {
      if (!consume) return head.subarray(0, n);
      const out = head.subarray(0, n);
      if (head.length === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    let index = 0;
    while (filled < n) {
      const chunk = this.chunks[index] as Uint8Array;
      const part = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (consume && part < chunk.length) {
        this.chunks[index] = chunk.subarray(part);
      } else {
        index += 1;
      }
    }
    if (consume) {
      this.chunks.splice(0, index);
      this.buffered -= n;
    }
    return out;
  }
}

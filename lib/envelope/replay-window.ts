import { VettidError } from "../errors";
import { DEFAULT_WINDOW_SIZE } from "./constants";

/**
 * Sliding anti-replay window over message counters (the scheme of RFC 4303 §3.4.3).
 * A counter is accepted once; counters more than `size` below the highest accepted
 * one are refused as too old. `size` 0 demands strictly increasing counters.
 *
 * Call {@link check} before decrypting and {@link accept} only after the envelope
 * authenticated, so a forged envelope cannot move the window.
 */
export class ReplayWindow {
  private highest = -1;
  private readonly seen = new Set<number>();

  constructor(readonly size: number = DEFAULT_WINDOW_SIZE) {
    if (!Number.isInteger(size) || size < 0 || size > 4096) throw new RangeError("window size must be 0..4096");
  }

  /** @throws VettidError `ENVELOPE_REPLAYED` when the counter was seen or is too old. */
  check(counter: number): void {
    if (counter > this.highest) return;
    if (this.highest - counter >= this.size) {
      throw new VettidError("ENVELOPE_REPLAYED", `counter ${counter} is outside the replay window`);
    }
    if (this.seen.has(counter)) throw new VettidError("ENVELOPE_REPLAYED", `counter ${counter} was already used`);
  }

  /** Records an authenticated counter. */
  accept(counter: number): void {
    this.check(counter);
    if (counter > this.highest) {
      this.highest = counter;
      const floor = counter - this.size;
      for (const c of this.seen) if (c <= floor) this.seen.delete(c);
    }
    if (this.size > 0) this.seen.add(counter);
  }
}

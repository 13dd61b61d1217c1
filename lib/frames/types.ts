import type { CHANNELS, FRAME_VERSION } from "./constants";

/** One of the multiplexed channels of a proxy connection. */
export type Channel = (typeof CHANNELS)[number];

/**
 * A value a frame body may hold: the JSON data model plus byte strings.
 * Maps decode to plain objects with string keys.
 */
export type FrameValue = null | boolean | number | string | Uint8Array | FrameValue[] | { [key: string]: FrameValue };

/** One decoded frame. */
export interface Frame<B extends FrameValue = FrameValue> {
  version: typeof FRAME_VERSION;
  channel: Channel;
  /** Correlates a request with its response; unique per connection while in flight. */
  id: number;
  /** Operation or result name, e.g. `publish`, `ok`, `error`. */
  type: string;
  body: B;
}

/** Limits a codec applies; each defaults to the constant of the same name. */
export interface FrameLimits {
  maxFrameBytes?: number;
  maxDepth?: number;
}

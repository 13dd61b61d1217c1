/**
 * Length-prefixed CBOR frames for the enclave ⇄ proxy link (docs/protocol.md §Frames).
 */

export { decodeFrameBody, encodeFrame, isChannel } from "./codec";
export {
  CHANNELS,
  FRAME_VERSION,
  LENGTH_PREFIX_BYTES,
  MAX_BODY_DEPTH,
  MAX_FRAME_BYTES,
  MAX_REQUEST_ID,
  MAX_TYPE_LENGTH,
} from "./constants";
export { FrameDecoder } from "./decoder";
export { FrameError, isFrameError } from "./errors";
export type { Channel, Frame, FrameLimits, FrameValue } from "./types";

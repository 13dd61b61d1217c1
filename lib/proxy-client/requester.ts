import type { Channel, FrameValue } from "../frames";

/** Sends one request on the current link (fails `CHANNEL_CLOSED` when there is none). */
export type Requester = (channel: Channel, type: string, body: FrameValue, timeoutMs?: number) => Promise<FrameValue>;

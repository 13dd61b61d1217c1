import type { DIRECTIONS } from "./constants";

/** Who sent an envelope: a device sends requests, the enclave sends answers. */
export type Direction = keyof typeof DIRECTIONS;

/** The identities every envelope is bound to through its associated data. */
export interface EnvelopeContext {
  vaultId: string;
  deviceId: string;
  sessionId: string;
}

/**
 * The request an answer is bound to: its counter (in the answer's clear header) and
 * the BLAKE2b-256 digest of its exact envelope bytes (in the answer's associated data).
 */
export interface RequestRef {
  readonly counter: number;
  readonly digest: Uint8Array;
}

/** What a receiver learns from an authentic envelope. */
export interface OpenedEnvelope {
  direction: Direction;
  counter: number;
  /** For answers: the counter of the request answered. */
  requestCounter?: number;
  op: string;
  plaintext: Uint8Array;
}

/** A request the device sealed and has not yet had answered (device side of a {@link SealedChannel}). */
export interface PendingRequest extends RequestRef {
  readonly op: string;
}

/** What {@link SealedChannel.seal} returns: the bytes to send and the handle to match the answer with. */
export interface SealedRequest {
  envelope: Uint8Array;
  pending: PendingRequest;
}

/** An authentic request as the enclave opened it; pass it to {@link SealedChannel.sealAnswer}. */
export interface OpenedRequest extends RequestRef {
  readonly op: string;
  readonly plaintext: Uint8Array;
}

/** An authentic answer to a pending request, as the device opened it. */
export interface OpenedAnswer {
  /** The enclave's counter of this answer. */
  counter: number;
  /** The counter of the request it answers (equal to the pending request's). */
  requestCounter: number;
  op: string;
  plaintext: Uint8Array;
}

/** Directional keys of one session. */
export interface SessionKeys {
  /** Key for what this side sends. */
  tx: Uint8Array;
  /** Key for what this side receives. */
  rx: Uint8Array;
}

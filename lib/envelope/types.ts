import type { DIRECTIONS } from "./constants";

/** Who sent an envelope. */
export type Direction = keyof typeof DIRECTIONS;

/** The identities every envelope is bound to through its associated data. */
export interface EnvelopeContext {
  vaultId: string;
  deviceId: string;
  sessionId: string;
}

/** What a receiver learns from an authentic envelope. */
export interface OpenedEnvelope {
  direction: Direction;
  counter: number;
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

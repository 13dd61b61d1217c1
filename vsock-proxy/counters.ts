import { createLinkCounters, type LinkCounters } from "../lib/frame-link";

/** Process-wide counters of the proxy, reported by the health endpoint. */
export interface ProxyCounters extends LinkCounters {
  /** Enclave connections accepted. */
  connections: number;
  /** Connections accepted after the first: the enclave reconnecting. */
  reconnects: number;
  /** Connections whose attestation was verified. */
  attested: number;
  /** Connections closed because their attestation failed (unknown PCR0, bad chain, stale …). */
  attestationFailures: number;
  /** Operations refused by policy (subjects, blob keys, key ids). */
  refused: number;
}

/** Zeroed proxy counters. */
export function createProxyCounters(): ProxyCounters {
  return { ...createLinkCounters(), connections: 0, reconnects: 0, attested: 0, attestationFailures: 0, refused: 0 };
}

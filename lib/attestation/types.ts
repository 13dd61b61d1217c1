import type { Manifest } from "../manifest";

/** Options of {@link verifyAttestation}. Every field is optional. */
export interface AttestationVerifyOptions {
  /**
   * Roots to trust, as PEM text or DER. Default: the pinned AWS Nitro root only.
   * Security: passing a dev root here is what makes simulated documents pass; never
   * do it against production.
   */
  trustedRoots?: (string | Uint8Array)[];
  /** Verification time for certificate validity and age (default: now). */
  time?: Date;
  /**
   * When set, the document's nonce must equal it, or one of them (freshness; a device
   * that accepts either of two answers it asked for, decision 0078).
   */
  expectedNonce?: Uint8Array | readonly Uint8Array[];
  /** When set, the document's timestamp must be at most this old at `time`. */
  maxAgeMs?: number;
  /** A verified manifest: PCR0/1/2 must then equal an approved release. */
  manifest?: Manifest;
  /** Accept debug-mode enclaves (PCR0-2 all zero). Never in production. */
  allowDebug?: boolean;
}

/** A verified attestation document. Byte fields are copies. */
export interface VerifiedAttestation {
  moduleId: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  digest: string;
  pcrs: Record<number, Uint8Array>;
  certificate: Uint8Array;
  cabundle: Uint8Array[];
  publicKey?: Uint8Array;
  userData?: Uint8Array;
  nonce?: Uint8Array;
}

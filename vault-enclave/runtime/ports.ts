import type { Nsm } from "../../lib/attestation";
import type { ProxyNatsMessage } from "../../lib/proxy-client";
import type { DataKey } from "../kms";
import type { ChangeLog } from "../sync/change-log";
import type { VersionWitness } from "../witness/witness";

/**
 * The runtime's environment, behind interfaces (STYLE.md): production wires the NSM
 * device, the proxy client and the TLS KMS client; tests and the local topology wire
 * the simulated NSM and the same proxy client over a Unix socket.
 */
export interface RuntimePorts {
  /** Attestation documents for devices (the handshake keys bound into `user_data`). */
  nsm: Pick<Nsm, "attest">;
  /** The vault's sealing key over TLS inside the enclave (vault-enclave/kms). */
  kms: {
    generateDataKey(encryptionContext: Record<string, string>): Promise<DataKey>;
    decrypt(ciphertextBlob: Uint8Array, encryptionContext: Record<string, string>): Promise<Uint8Array>;
  };
  /** Sealed state objects with conditional writes (the proxy's `blob` channel). */
  blobs: {
    get(key: string): Promise<{ data: Uint8Array; version: string } | undefined>;
    /** Writes only if the current version is `expectedVersion` (`null`: only if absent). */
    put(key: string, data: Uint8Array, expectedVersion: string | null): Promise<string>;
  };
  /**
   * The version witness (vault-enclave/witness): each write is recorded there before it
   * is acknowledged and each load checked against it. Without one, a host that replays
   * an older blob to a runtime that restarted is not detected (docs/security-invariants.md).
   */
  witness?: VersionWitness | undefined;
  /**
   * The vaults' change logs (vault-enclave/sync, decision 0073): each change of a vault's
   * items is sealed there before the state that commits it is written, and devices catch
   * up from it (`vault.changes`). Without one, no change is recorded and `vault.changes`
   * answers `UNAVAILABLE`.
   */
  changes?: ChangeLog | undefined;
  /** Vault request subjects (the proxy's `nats` channel). */
  nats: {
    subscribe(subject: string, handler: (message: ProxyNatsMessage) => void): Promise<{ unsubscribe(): Promise<void> }>;
    respond(reply: string | undefined, data: Uint8Array): boolean;
  };
  /** Allow-listed log fields only: never vault data, names, PINs or keys. */
  log(level: "info" | "warn" | "error", message: string, fields?: Record<string, string | number | boolean>): void;
  /** Milliseconds since the epoch. */
  now(): number;
}

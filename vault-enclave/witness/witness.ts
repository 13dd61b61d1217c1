import { VettidError } from "../../lib/errors";
import type { WitnessRecord } from "./record";

/** A witness record as stored, with the store's revision of it (for compare-and-set). */
export interface Witnessed {
  record: WitnessRecord;
  revision: number;
}

/**
 * Where the runtime records each vault's latest acknowledged state version (a port):
 * JetStream KV over the enclave's own NATS connection in production (kv-witness.ts),
 * so the host, which acknowledges blob writes, cannot roll a vault back by serving an
 * older blob. The host can block the witness, which stops the vault (fail closed);
 * it cannot answer for it.
 */
export interface VersionWitness {
  /** The vault's record, or undefined when it has none. @throws VettidError `UNAVAILABLE`. */
  read(vaultId: string): Promise<Witnessed | undefined>;
  /**
   * Records `record` if the stored revision is still `expectedRevision` (`null`: only
   * if the vault has no record), and resolves with the new revision.
   * @throws VettidError `VERSION_CONFLICT` when another writer recorded in between;
   *   `UNAVAILABLE` when the witness does not answer.
   */
  record(record: WitnessRecord, expectedRevision: number | null): Promise<number>;
}

/** The witnessed fields of a state. */
export interface WitnessedFields {
  stateVersion: number;
  failures: number;
  recoveryFailures: number;
  /** BLAKE2b-256 of the state's sealed outer layer (vault-enclave/state `layerDigest`). */
  stateDigest: Uint8Array;
}

/** Whether a stored record is exactly `fields` (a record this runtime wrote, its answer lost). */
export function sameWitnessed(fields: WitnessedFields, stored: WitnessRecord): boolean {
  return (
    stored.stateVersion === fields.stateVersion &&
    stored.failures === fields.failures &&
    stored.recoveryFailures === fields.recoveryFailures &&
    stored.stateDigest !== undefined &&
    equalBytes(stored.stateDigest, fields.stateDigest)
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Whether a state read from the host may be used given the witness (pure): it must not
 * be older than the witnessed version, and at the witnessed version it must carry the
 * witnessed counters and be the witnessed state (its digest; a version 1 record has
 * none). A newer state is fine: a write the host stored whose record did not complete,
 * which was never acknowledged.
 * @throws VettidError `STALE_STATE`.
 */
export function assertWitnessed(state: WitnessedFields | undefined, witnessed: WitnessRecord | undefined): void {
  if (witnessed === undefined) return;
  if (state === undefined) {
    throw new VettidError("STALE_STATE", "the host serves no state for a vault the witness has seen");
  }
  if (state.stateVersion < witnessed.stateVersion) {
    throw new VettidError(
      "STALE_STATE",
      `state version ${state.stateVersion} is older than version ${witnessed.stateVersion} the witness recorded`,
    );
  }
  if (
    state.stateVersion === witnessed.stateVersion &&
    (state.failures !== witnessed.failures || state.recoveryFailures !== witnessed.recoveryFailures)
  ) {
    throw new VettidError("STALE_STATE", "the state's PIN counters differ from the ones the witness recorded");
  }
  if (
    state.stateVersion === witnessed.stateVersion &&
    witnessed.stateDigest !== undefined &&
    !equalBytes(state.stateDigest, witnessed.stateDigest)
  ) {
    throw new VettidError("STALE_STATE", "the state is another one of the version the witness recorded");
  }
}

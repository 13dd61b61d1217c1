/**
 * The rule a load applies against the version witness, and the one a runtime uses to
 * tell its own record (its answer lost) from another writer's (decisions 0070, 0075):
 * the witness names the acknowledged state by its version, PIN counters and the digest
 * of its sealed outer layer, so a second state of the same version and counters —
 * which a host can make a runtime write by blocking the first one's record and serving
 * the state from before it — is refused, and never taken for the runtime's own record.
 */
import { VettidError } from "../../../../lib/errors";
import { assertWitnessed, sameWitnessed, type WitnessRecord } from "../../../../vault-enclave/witness";

const VAULT = `vlt_${"0f".repeat(16)}`;
const digestA = new Uint8Array(32).fill(0xa1);
const digestB = new Uint8Array(32).fill(0xb2);
const state = { stateVersion: 7, failures: 1, recoveryFailures: 0, stateDigest: digestA };
const recordOf = (digest: Uint8Array | undefined): WitnessRecord => ({
  vaultId: VAULT,
  stateVersion: 7,
  failures: 1,
  recoveryFailures: 0,
  ...(digest ? { stateDigest: digest } : {}),
});

function outcome(run: () => void): string {
  try {
    run();
    return "accepted";
  } catch (err) {
    return err instanceof VettidError ? err.code : "other";
  }
}

describe("the witnessed state", () => {
  it("accepts the witnessed state and refuses another of its version and counters", () => {
    // Act
    const same = outcome(() => assertWitnessed(state, recordOf(digestA)));
    const other = outcome(() => assertWitnessed(state, recordOf(digestB)));
    const newer = outcome(() => assertWitnessed({ ...state, stateVersion: 8 }, recordOf(digestB)));

    // Assess
    expect([same, other, newer]).toEqual(["accepted", "STALE_STATE", "accepted"]);
  });

  it("checks a version 1 record (no digest) by its version and counters, as before", () => {
    expect(outcome(() => assertWitnessed(state, recordOf(undefined)))).toBe("accepted");
    expect(outcome(() => assertWitnessed({ ...state, failures: 0 }, recordOf(undefined)))).toBe("STALE_STATE");
  });

  it("takes a stored record for this runtime's own only when its digest is this state's", () => {
    expect(sameWitnessed(state, recordOf(digestA))).toBe(true);
    expect(sameWitnessed(state, recordOf(digestB))).toBe(false);
    expect(sameWitnessed(state, recordOf(undefined))).toBe(false);
    expect(sameWitnessed({ ...state, failures: 2 }, recordOf(digestA))).toBe(false);
  });
});

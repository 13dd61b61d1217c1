/**
 * The witness record decoder reads what the NATS operators can write: any bytes are
 * refused `UNAVAILABLE` (fail closed) or decode to a record of the asked vault, and
 * every record round-trips. Plus the pure rule a load applies against the record.
 */
import fc from "fast-check";
import { isVettidError } from "../../../lib/errors";
import {
  assertWitnessed,
  decodeWitnessRecord,
  encodeWitnessRecord,
  MAX_WITNESS_RECORD_BYTES,
  type WitnessRecord,
} from "../../../vault-enclave/witness";

const VAULT = `vlt_${"0f".repeat(16)}`;
const counter = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const records = fc.record({
  vaultId: fc.constant(VAULT),
  stateVersion: counter,
  failures: counter,
  recoveryFailures: counter,
});

describe("witness records (property)", () => {
  it("round-trips every record within the size bound", () => {
    fc.assert(
      fc.property(records, (record: WitnessRecord) => {
        const bytes = encodeWitnessRecord(record);
        expect(bytes.length).toBeLessThanOrEqual(MAX_WITNESS_RECORD_BYTES);
        expect(decodeWitnessRecord(bytes, VAULT)).toEqual(record);
      }),
    );
  });

  it("refuses arbitrary and mutated bytes with UNAVAILABLE only, or decodes a record of the asked vault", () => {
    const mutated = fc.tuple(records, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([record, at, byte]) => {
      const bytes = encodeWitnessRecord(record);
      bytes[at % bytes.length] = byte;
      return bytes;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated), (bytes) => {
        try {
          expect(decodeWitnessRecord(bytes, VAULT).vaultId).toBe(VAULT);
        } catch (err) {
          expect(isVettidError(err) && err.code === "UNAVAILABLE").toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("accepts a state exactly when it is newer than the record, or equal with the same counters", () => {
    fc.assert(
      fc.property(records, records, (state, witnessed) => {
        const ok =
          state.stateVersion > witnessed.stateVersion ||
          (state.stateVersion === witnessed.stateVersion &&
            state.failures === witnessed.failures &&
            state.recoveryFailures === witnessed.recoveryFailures);
        let accepted = true;
        try {
          assertWitnessed(state, witnessed);
        } catch (err) {
          expect(isVettidError(err) && err.code === "STALE_STATE").toBe(true);
          accepted = false;
        }
        expect(accepted).toBe(ok);
      }),
    );
  });
});

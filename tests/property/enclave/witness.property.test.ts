/**
 * The witness record decoder reads what the NATS operators can write: any bytes are
 * refused `UNAVAILABLE` (fail closed) or decode to a record of the asked vault, and
 * every record round-trips. Plus the pure rule a load applies against the record.
 */
import fc from "fast-check";
import { isVettidError } from "../../../lib/errors";
import { encodePayload } from "../../../vault-enclave/state/cbor";
import {
  assertWitnessed,
  decodeWitnessRecord,
  encodeWitnessRecord,
  MAX_WITNESS_RECORD_BYTES,
  type WitnessRecord,
} from "../../../vault-enclave/witness";

const VAULT = `vlt_${"0f".repeat(16)}`;
const counter = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
/** Two digests, so that equal and unequal ones both come up often. */
const digests = fc.constantFrom(new Uint8Array(32).fill(0xa1), new Uint8Array(32).fill(0xb2));
const records = fc.record({
  vaultId: fc.constant(VAULT),
  stateVersion: counter,
  failures: counter,
  recoveryFailures: counter,
  stateDigest: digests,
});
/** A version 1 record as one was written before the digest: read back without one. */
const v1 = (r: { stateVersion: number; failures: number; recoveryFailures: number }) =>
  encodePayload({
    v: 1,
    vault: VAULT,
    version: r.stateVersion,
    failures: r.failures,
    recoveryFailures: r.recoveryFailures,
  });

describe("witness records (property)", () => {
  it("round-trips every record within the size bound", () => {
    fc.assert(
      fc.property(records, (record: WitnessRecord) => {
        const bytes = encodeWitnessRecord(record);
        expect(bytes.length).toBeLessThanOrEqual(MAX_WITNESS_RECORD_BYTES);
        expect(decodeWitnessRecord(bytes, VAULT)).toEqual(record);
        const { stateDigest: _digest, ...withoutDigest } = record;
        expect(decodeWitnessRecord(v1(record), VAULT)).toEqual(withoutDigest);
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

  it("accepts a state exactly when it is newer than the record, or equal with the same counters and digest", () => {
    fc.assert(
      fc.property(records, records, fc.boolean(), (state, witnessedV2, fromV1) => {
        // a version 1 record (read back without a digest) checks the counters only
        const { stateDigest: _none, ...withoutDigest } = witnessedV2;
        const witnessed = fromV1 ? withoutDigest : witnessedV2;
        const sameDigest =
          fromV1 || state.stateDigest.every((b, i) => b === (witnessedV2.stateDigest as Uint8Array)[i]);
        const ok =
          state.stateVersion > witnessed.stateVersion ||
          (state.stateVersion === witnessed.stateVersion &&
            state.failures === witnessed.failures &&
            state.recoveryFailures === witnessed.recoveryFailures &&
            sameDigest);
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

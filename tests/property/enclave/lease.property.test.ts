/**
 * The lease record decoder reads what the NATS operators can write: any bytes are
 * refused `UNAVAILABLE` (fail closed) or decode to a lease of the asked vault, and every
 * lease round-trips.
 */
import fc from "fast-check";
import { isVettidError } from "../../../lib/errors";
import {
  decodeLeaseRecord,
  encodeLeaseRecord,
  type LeaseRecord,
  MAX_LEASE_RECORD_BYTES,
} from "../../../vault-enclave/lease";

const VAULT = `vlt_${"0f".repeat(16)}`;
const leases = fc.record({
  vaultId: fc.constant(VAULT),
  owner: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString("hex")),
  epoch: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  expiresAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

describe("lease records (property)", () => {
  it("round-trips every lease within the size bound", () => {
    fc.assert(
      fc.property(leases, (lease: LeaseRecord) => {
        const bytes = encodeLeaseRecord(lease);
        expect(bytes.length).toBeLessThanOrEqual(MAX_LEASE_RECORD_BYTES);
        expect(decodeLeaseRecord(bytes, VAULT)).toEqual(lease);
      }),
    );
  });

  it("refuses arbitrary and mutated bytes with UNAVAILABLE only, or decodes a lease of the asked vault", () => {
    const mutated = fc.tuple(leases, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([lease, at, byte]) => {
      const bytes = encodeLeaseRecord(lease);
      bytes[at % bytes.length] = byte;
      return bytes;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated), (bytes) => {
        try {
          expect(decodeLeaseRecord(bytes, VAULT).vaultId).toBe(VAULT);
        } catch (err) {
          expect(isVettidError(err) && err.code === "UNAVAILABLE").toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

/**
 * The audit log's parsers against any input: entries (lib/vault-audit) and sealed
 * segments (vault-enclave/state). A parser either returns what was encoded or throws
 * its typed error; a change anywhere is refused or changes the chain.
 */
import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import { VettidError } from "../../../lib/errors";
import {
  type AuditEntry,
  auditChainStep,
  auditGenesis,
  encodeAuditEntry,
  equalDigests,
  parseAuditEntry,
} from "../../../lib/vault-audit";
import {
  appendAudit,
  emptyAuditLog,
  isStateInvalid,
  MAX_AUDIT_TAIL_ENTRIES,
  openAuditSegment,
  sealAuditSegment,
} from "../../../vault-enclave/state";
import type { AuditSegmentContent } from "../../../vault-enclave/state/audit-log";

const RUNS = 1_000;
const VAULT = "vault-prop";

beforeAll(async () => {
  await sodiumReady();
});

const word = fc.stringMatching(/^[a-z]{1,6}$/);
const entryArb: fc.Arbitrary<AuditEntry> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  at: fc.integer({ min: 0, max: 8_640_000_000_000_000 }),
  kind: fc.tuple(word, word).map(([a, b]) => `x${a}.${b}`),
  device: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  detail: fc.dictionary(
    fc.stringMatching(/^[a-z][A-Za-z0-9]{0,15}$/),
    fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.stringMatching(/^[\x20-\x7e]{0,64}$/)),
    { maxKeys: 4 },
  ),
});

function refusedAsAudit(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof VettidError && err.code === "AUDIT_INVALID";
  }
}

describe("audit entries (property)", () => {
  it("parses back exactly any entry it encoded", () => {
    fc.assert(
      fc.property(entryArb, (entry) => {
        expect(parseAuditEntry(encodeAuditEntry(entry))).toEqual(entry);
      }),
      { numRuns: RUNS },
    );
  });

  it("throws nothing but AUDIT_INVALID for random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          parseAuditEntry(bytes);
        } catch (err) {
          expect(err instanceof VettidError && err.code === "AUDIT_INVALID").toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a flipped byte, or reads another entry whose chain digest differs", () => {
    fc.assert(
      fc.property(entryArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (entry, at, flip) => {
        // Prepare
        const bytes = encodeAuditEntry(entry);
        const changed = bytes.slice();
        const i = at % changed.length;
        changed[i] = (changed[i] as number) ^ flip;
        const genesis = auditGenesis(VAULT);

        // Act
        let parsed: AuditEntry | undefined;
        const refused = refusedAsAudit(() => {
          parsed = parseAuditEntry(changed);
        });

        // Assess
        if (!refused) {
          expect(parsed).not.toEqual(entry);
          expect(equalDigests(auditChainStep(VAULT, genesis, changed), auditChainStep(VAULT, genesis, bytes))).toBe(
            false,
          );
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("sealed audit segments (property)", () => {
  let segment: AuditSegmentContent;
  let blob: Uint8Array;
  const keys = { vaultId: VAULT, rootKey: new Uint8Array(32).fill(9) };

  beforeAll(() => {
    let log = emptyAuditLog(VAULT);
    for (let i = 0; i <= MAX_AUDIT_TAIL_ENTRIES; i++) {
      const next = appendAudit(log, VAULT, { at: i, kind: "unlock.succeeded", device: "dev-1", detail: {} });
      log = next.log;
      if (next.segment) segment = next.segment;
    }
    blob = sealAuditSegment(segment, keys);
  });

  const refused = (bytes: Uint8Array): boolean => {
    try {
      openAuditSegment(bytes, { firstSeq: 1, end: segment.end }, keys);
      return false;
    } catch (err) {
      return isStateInvalid(err);
    }
  };

  it("refuses every byte flip, at any position, with the typed error", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const changed = blob.slice();
        const i = at % changed.length;
        changed[i] = (changed[i] as number) ^ flip;
        expect(refused(changed)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses any truncation or extension, and random bytes, with the typed error", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 20_000 }),
        (cut, tail, junk) => {
          expect(refused(blob.subarray(0, cut % blob.length))).toBe(true);
          if (tail.length > 0) expect(refused(Uint8Array.from([...blob, ...tail]))).toBe(true);
          expect(refused(junk)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

import { sodiumReady } from "../../../lib/crypto";
import {
  AUDIT_LABELS,
  type AuditEntry,
  auditChainStep,
  auditGenesis,
  encodeAuditEntry,
  parseAuditEntry,
  verifyAuditRun,
} from "../../../lib/vault-audit";
import vectors from "../../vectors/audit-log-v1.json";

const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

beforeAll(async () => {
  await sodiumReady();
});

describe("audit log vectors (tests/vectors/audit-log-v1.json)", () => {
  it("uses the labels of version 1", () => {
    expect(vectors.labels).toEqual(AUDIT_LABELS);
  });

  it("encodes each entry as published and parses the published bytes back to it", () => {
    for (const c of vectors.cases) {
      const entry = c.entry as AuditEntry;
      expect(hex(encodeAuditEntry(entry))).toBe(c.encoded);
      expect(parseAuditEntry(bytes(c.encoded))).toEqual(entry);
    }
  });

  it("chains from digest 0 of the vault through every published digest to the head", () => {
    // Act
    let digest = auditGenesis(vectors.vaultId);
    expect(hex(digest)).toBe(vectors.genesis);
    for (const c of vectors.cases) {
      digest = auditChainStep(vectors.vaultId, digest, bytes(c.encoded));
      expect(hex(digest)).toBe(c.digest);
    }
    const run = verifyAuditRun(
      vectors.vaultId,
      bytes(vectors.genesis),
      1,
      vectors.cases.map((c) => bytes(c.encoded)),
    );

    // Assess
    expect(hex(run.end)).toBe(vectors.head.digest);
    expect(run.entries).toHaveLength(vectors.head.seq);
  });

  it("gives another vault's chain other digests for the same entries", () => {
    expect(hex(auditGenesis(`${vectors.vaultId}x`))).not.toBe(vectors.genesis);
  });
});

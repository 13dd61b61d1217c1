import { sodiumReady } from "../../../../lib/crypto";
import { type AuditEvent, auditChainEnd, auditGenesis } from "../../../../lib/vault-audit";
import {
  AUDIT_SEGMENT_ENTRIES,
  type AuditLog,
  appendAudit,
  auditHead,
  auditSegmentBlobKey,
  beginPinAttempt,
  checkAuditLog,
  emptyAuditLog,
  isStateInvalid,
  MAX_AUDIT_TAIL_ENTRIES,
  openAuditSegment,
  openInner,
  openOuter,
  parseStateBlob,
  resealOuter,
  STATE_REJECTIONS,
  StateWriteRefused,
  sealAuditSegment,
} from "../../../../vault-enclave/state";
import type { AuditSegmentContent } from "../../../../vault-enclave/state/audit-log";
import {
  fullOuter,
  sealedBlob,
  sealedBlobV1,
  sealedBlobV2,
  T0,
  thrown,
  VAULT_B,
  type VaultKeys,
  vaultKeys,
} from "./fixtures";

let keys: VaultKeys;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys();
});

const event = (i: number): AuditEvent => ({ at: T0 + i, kind: "unlock.succeeded", device: "dev-phone", detail: {} });

/** A log of `n` entries, and every segment its rollovers produced. */
function logOf(n: number, vaultId = keys.vaultId): { log: AuditLog; segments: AuditSegmentContent[] } {
  let log = emptyAuditLog(vaultId);
  const segments: AuditSegmentContent[] = [];
  for (let i = 0; i < n; i++) {
    const next = appendAudit(log, vaultId, event(i));
    log = next.log;
    if (next.segment) segments.push(next.segment);
  }
  return { log, segments };
}

describe("audit log head in the outer layer", () => {
  it("keeps up to two segments' worth in the tail, then moves the oldest segment out", () => {
    // Act
    const full = logOf(MAX_AUDIT_TAIL_ENTRIES);
    const rolled = logOf(MAX_AUDIT_TAIL_ENTRIES + 1);

    // Assess
    expect(full.segments).toHaveLength(0);
    expect(full.log.tail).toHaveLength(MAX_AUDIT_TAIL_ENTRIES);
    expect(rolled.segments).toHaveLength(1);
    const [segment] = rolled.segments as [AuditSegmentContent];
    expect(segment.firstSeq).toBe(1);
    expect(segment.entries).toHaveLength(AUDIT_SEGMENT_ENTRIES);
    expect(segment.start).toEqual(auditGenesis(keys.vaultId));
    expect(rolled.log.base).toEqual(segment.end);
    expect(rolled.log.tail).toHaveLength(AUDIT_SEGMENT_ENTRIES + 1);
    // The head does not depend on where the entries are kept.
    const all = [...segment.entries, ...rolled.log.tail];
    expect(auditHead(rolled.log, keys.vaultId)).toEqual({
      seq: MAX_AUDIT_TAIL_ENTRIES + 1,
      digest: auditChainEnd(keys.vaultId, auditGenesis(keys.vaultId), all),
    });
  });

  it("refuses a log whose tail is out of line, misnumbered, or not rooted at digest 0", () => {
    // Prepare
    const { log } = logOf(3);
    const other = logOf(3, VAULT_B).log;
    const cases: Record<string, AuditLog> = {
      gap: { ...log, nextSeq: log.nextSeq + 1 },
      reordered: { ...log, tail: [log.tail[1], log.tail[0], log.tail[2]] as Uint8Array[] },
      notRooted: { ...log, base: new Uint8Array(32).fill(7) },
      otherVault: other,
      unaligned: { nextSeq: 6, base: log.base, tail: log.tail },
    };

    // Act + Assess
    for (const [name, bad] of Object.entries(cases)) {
      const err = thrown(() => checkAuditLog(bad, keys.vaultId));
      expect([name, isStateInvalid(err, STATE_REJECTIONS.payloadInvalid)]).toEqual([name, true]);
    }
    expect(() => checkAuditLog(log, keys.vaultId)).not.toThrow();
  });
});

describe("state formats 2 to 4", () => {
  it("writes the current format (4) with the audit log in the outer layer, and reads it back", () => {
    // Prepare
    const { log } = logOf(5);
    const outer = { ...fullOuter(keys, 3), audit: log };

    // Act
    const blob = sealedBlob(keys, 3, undefined, outer);
    const opened = openOuter(parseStateBlob(blob), keys);

    // Assess
    expect(blob[4]).toBe(4);
    expect(opened.audit).toEqual(log);
  });

  it("reads a format 2 blob with its audit log and an empty recovery record, and moves it to the current format (4) on an outer rewrite", () => {
    // Prepare
    const { log } = logOf(5);
    const old = parseStateBlob(sealedBlobV2(keys, 3, undefined, { ...fullOuter(keys, 3), audit: log }));
    const opened = openOuter(old, keys);

    // Act
    const rewritten = parseStateBlob(resealOuter(old, beginPinAttempt(opened, T0), keys));

    // Assess
    expect(old.formatVersion).toBe(2);
    expect(opened.audit).toEqual(log);
    expect(opened.recovery).toEqual({
      backups: [],
      pending: null,
      recoveredInto: null,
      attempts: { failures: 0, lockedUntil: null, lastFailureAt: null },
    });
    expect(rewritten.formatVersion).toBe(4);
    expect(rewritten.inner).toEqual(old.inner);
    expect(openInner(rewritten, openOuter(rewritten, keys), keys).items.length).toBeGreaterThan(0);
  });

  it("opens a format 1 blob with an empty log and moves it to the current format on an outer rewrite, inner layer kept", () => {
    // Prepare
    const old = parseStateBlob(sealedBlobV1(keys, 4));
    const opened = openOuter(old, keys);
    expect(opened.audit).toEqual(emptyAuditLog(keys.vaultId));
    const pending = beginPinAttempt(opened, T0);
    const counted = { ...pending, audit: appendAudit(pending.audit, keys.vaultId, event(0)).log };

    // Act
    const rewritten = parseStateBlob(resealOuter(old, counted, keys));
    const reopened = openOuter(rewritten, keys);

    // Assess
    expect(rewritten.formatVersion).toBe(4);
    expect(rewritten.inner).toEqual(old.inner);
    expect(reopened.audit.nextSeq).toBe(2);
    expect(openInner(rewritten, reopened, keys).items.length).toBeGreaterThan(0);
  });

  it("refuses an outer layer of one format relabelled as another", () => {
    // Prepare
    const blobs = { 1: sealedBlobV1(keys, 2), 2: sealedBlobV2(keys, 2), 3: sealedBlob(keys, 2) };
    const forgeries: Uint8Array[] = [];
    for (const [from, blob] of Object.entries(blobs)) {
      for (const to of [1, 2, 3]) {
        if (Number(from) === to) continue;
        const forged = blob.slice();
        forged[4] = to;
        forgeries.push(forged);
      }
    }

    // Act + Assess
    expect(forgeries).toHaveLength(6);
    for (const forged of forgeries) {
      const err = thrown(() => openOuter(forged, keys));
      expect(isStateInvalid(err, STATE_REJECTIONS.authFailed)).toBe(true);
    }
  });
});

describe("sealed audit segments", () => {
  let segment: AuditSegmentContent;

  beforeAll(() => {
    segment = logOf(MAX_AUDIT_TAIL_ENTRIES + 1).segments[0] as AuditSegmentContent;
  });

  it("opens as its own vault, at its own position, against its own end only", () => {
    // Prepare
    const blob = sealAuditSegment(segment, keys);
    const other = vaultKeys(VAULT_B);

    // Act
    const opened = openAuditSegment(blob, { firstSeq: 1, end: segment.end }, keys);
    const refusals = [
      thrown(() => openAuditSegment(blob, { firstSeq: 17, end: segment.end }, keys)),
      thrown(() => openAuditSegment(blob, { firstSeq: 1, end: segment.start }, keys)),
      thrown(() => openAuditSegment(blob, { firstSeq: 1, end: segment.end }, { ...other, vaultId: keys.vaultId })),
      thrown(() => openAuditSegment(blob, { firstSeq: 1, end: segment.end }, { ...keys, vaultId: VAULT_B })),
    ];

    // Assess
    expect(opened).toEqual(segment);
    for (const err of refusals) expect(isStateInvalid(err, STATE_REJECTIONS.authFailed)).toBe(true);
    expect(Buffer.from(blob).includes(Buffer.from("unlock"))).toBe(false);
    expect(auditSegmentBlobKey(keys.vaultId, 17)).toBe(`vaults/${keys.vaultId}/audit-17`);
  });

  it("refuses to seal entries that are not one chained segment", () => {
    const short = { ...segment, entries: segment.entries.slice(1) };
    const unchained = { ...segment, end: segment.start };
    for (const bad of [short, unchained]) {
      expect(thrown(() => sealAuditSegment(bad, keys))).toBeInstanceOf(StateWriteRefused);
    }
  });
});

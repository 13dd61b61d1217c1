/**
 * Builds tests/vectors/audit-log-v1.json (docs/protocol.md §Audit log): the encoding
 * of a few entries of each kind the runtime records and the hash chain over them, so
 * a device implementation can check its entry parser and its chain against ours.
 * Called by generate.ts; everything here is fixed, so the file is the same every run.
 */
import { sodiumReady } from "../../lib/crypto";
import { AUDIT_LABELS, type AuditEntry, auditChainStep, auditGenesis, encodeAuditEntry } from "../../lib/vault-audit";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The vectors as a JSON-ready object. */
export async function auditVectors(): Promise<Record<string, unknown>> {
  await sodiumReady();
  const vaultId = "v_Zp3c8QmR2b7XyL0aKf4TnW";
  const t0 = 1_796_119_200_000; // 2026-12-01T10:00:00Z
  const entries: AuditEntry[] = [
    { seq: 1, at: t0, kind: "vault.initialized", device: "dev-phone", detail: {} },
    { seq: 2, at: t0 + 60_000, kind: "unlock.attempted", device: "dev-phone", detail: { failures: 1 } },
    { seq: 3, at: t0 + 60_400, kind: "unlock.failed", device: "dev-phone", detail: { failures: 1 } },
    { seq: 4, at: t0 + 120_000, kind: "unlock.attempted", device: "dev-phone", detail: { failures: 2 } },
    { seq: 5, at: t0 + 120_400, kind: "unlock.succeeded", device: "dev-phone", detail: {} },
    { seq: 6, at: t0 + 180_000, kind: "pin.changed", device: "dev-phone", detail: {} },
    { seq: 7, at: t0 + 240_000, kind: "device.revoked", device: "dev-phone", detail: { device: "dev-tablet" } },
  ];
  const genesis = auditGenesis(vaultId);
  let digest = genesis;
  const cases = entries.map((entry) => {
    const encoded = encodeAuditEntry(entry);
    digest = auditChainStep(vaultId, digest, encoded);
    return { entry, encoded: hex(encoded), digest: hex(digest) };
  });
  return {
    description:
      "VettID audit log v1 (docs/protocol.md §Audit log). Each entry is deterministic CBOR (RFC 8949 §4.2.1) of " +
      "{at, seq, kind, detail, device}; `encoded` is the exact bytes the chain hashes. " +
      "digest_0 = BLAKE2b-256(labels.genesis ‖ u8 len(vaultId) ‖ vaultId); " +
      "digest_n = BLAKE2b-256(labels.entry ‖ u8 len(vaultId) ‖ vaultId ‖ digest_{n-1} ‖ encoded_n), " +
      "labels and vault id as UTF-8. The last case (device.revoked) carries a text detail, " +
      "the device it removed.",
    version: 1,
    labels: AUDIT_LABELS,
    vaultId,
    genesis: hex(genesis),
    cases,
    head: { seq: entries.length, digest: hex(digest) },
  };
}

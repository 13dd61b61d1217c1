/**
 * The sealed audit log's entries and hash chain (docs/decisions/0058-sealed-audit-log.md,
 * docs/protocol.md §Audit log): what the enclave appends and the device verifies.
 * Storage (the tail in the sealed outer layer, older entries in sealed segments) is
 * the enclave's (vault-enclave/state); this area is what both sides must agree on.
 */
export {
  auditChainEnd,
  auditChainStep,
  auditGenesis,
  equalDigests,
  type VerifiedAuditRun,
  verifyAuditRun,
} from "./chain";
export {
  AUDIT_DIGEST_BYTES,
  AUDIT_KIND_DETAIL,
  AUDIT_KIND_PATTERN,
  AUDIT_KINDS,
  AUDIT_LABELS,
  AUDIT_VERSION,
  type AuditDetailType,
  type AuditKind,
  MAX_AUDIT_DETAIL_FIELDS,
  MAX_AUDIT_ENTRY_BYTES,
  MAX_AUDIT_PAGE,
} from "./constants";
export {
  type AuditDetailValue,
  type AuditEntry,
  type AuditEvent,
  checkAuditEntry,
  encodeAuditEntry,
  parseAuditEntry,
} from "./entry";

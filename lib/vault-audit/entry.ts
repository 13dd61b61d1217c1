import { createStrictCborCheck, plainDecoder, plainEncoder } from "../cbor";
import { VettidError } from "../errors";
import { isSubjectId } from "../subjects";
import {
  AUDIT_DETAIL_KEY_PATTERN,
  AUDIT_DETAIL_TEXT_PATTERN,
  AUDIT_KIND_DETAIL,
  AUDIT_KIND_PATTERN,
  type AuditKind,
  MAX_AUDIT_DETAIL_FIELDS,
  MAX_AUDIT_ENTRY_BYTES,
  MAX_AUDIT_KIND_LENGTH,
  MAX_AUDIT_TIME_MS,
} from "./constants";

/** A detail value: a non-negative integer or short printable text. */
export type AuditDetailValue = number | string;

/**
 * One event of the audit log. `seq` counts from 1 without gaps; `at` is the enclave's
 * clock in ms since the epoch; `device` the device whose session caused the event.
 */
export interface AuditEntry {
  seq: number;
  at: number;
  kind: string;
  device: string;
  detail: Record<string, AuditDetailValue>;
}

/** An entry without its sequence number: what the runtime records; the log numbers it. */
export type AuditEvent = Omit<AuditEntry, "seq">;

/**
 * The encoding of an entry (docs/protocol.md §Audit log): deterministic CBOR
 * (RFC 8949 §4.2.1) of the map `{at, seq, kind, detail, device}` — keys in that
 * order (shorter first, then bytewise), integers in their shortest form, `detail` a
 * map with its keys in the same order, definite lengths, no tags, no floats.
 */
const checkEntry = createStrictCborCheck({ mapKeys: ["text"], maxDepth: 2, maxItems: 64 });

const UINT32_MAX = 0xffff_ffff;

function invalid(message: string): VettidError {
  return new VettidError("AUDIT_INVALID", `audit entry refused: ${message}`);
}

/** RFC 8949 §4.2.1 order for ASCII text keys: shorter first, then by code unit. */
function compareKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const uintValue = (n: number): number | bigint => (n > UINT32_MAX ? BigInt(n) : n);

/**
 * Checks an entry against the rules of version 1 (without encoding it).
 * @throws VettidError `AUDIT_INVALID` naming the field out of bounds.
 */
export function checkAuditEntry(entry: AuditEntry): void {
  const { seq, at, kind, device, detail } = entry;
  if (!Number.isSafeInteger(seq) || seq < 1) throw invalid("seq must be a positive integer");
  if (!Number.isSafeInteger(at) || at < 0 || at > MAX_AUDIT_TIME_MS) throw invalid("at must be a time in ms");
  if (typeof kind !== "string" || kind.length > MAX_AUDIT_KIND_LENGTH || !AUDIT_KIND_PATTERN.test(kind)) {
    throw invalid("kind must be dot-separated lower-case words");
  }
  if (!isSubjectId(device)) throw invalid("device must be a device id");
  const proto = typeof detail === "object" && detail !== null ? Object.getPrototypeOf(detail) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw invalid("detail must be a map");
  }
  const keys = Object.keys(detail);
  if (keys.length > MAX_AUDIT_DETAIL_FIELDS) throw invalid(`detail has more than ${MAX_AUDIT_DETAIL_FIELDS} fields`);
  for (const key of keys) {
    if (!AUDIT_DETAIL_KEY_PATTERN.test(key)) throw invalid("a detail key is not a short word");
    const value = detail[key];
    const ok =
      (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) ||
      (typeof value === "string" && AUDIT_DETAIL_TEXT_PATTERN.test(value));
    if (!ok) throw invalid(`detail.${key} must be a non-negative integer or short printable text`);
  }
  const known = Object.hasOwn(AUDIT_KIND_DETAIL, kind)
    ? (AUDIT_KIND_DETAIL[kind as AuditKind] as Readonly<Record<string, "uint" | "text">>)
    : undefined;
  if (known !== undefined) {
    const fields = Object.keys(known);
    const typed = (k: string) => (known[k] === "uint" ? typeof detail[k] === "number" : typeof detail[k] === "string");
    if (keys.length !== fields.length || !fields.every(typed)) {
      throw invalid(`${kind} carries exactly ${fields.length === 0 ? "no detail" : fields.join(", ")}`);
    }
  }
}

/**
 * Encodes an entry: the bytes the chain hashes, stored and sent as they are.
 * @throws VettidError `AUDIT_INVALID` for an entry out of bounds.
 *
 * @example
 * const bytes = encodeAuditEntry({ seq: 1, at: Date.now(), kind: "vault.initialized", device: "dev-1", detail: {} });
 */
export function encodeAuditEntry(entry: AuditEntry): Uint8Array {
  checkAuditEntry(entry);
  const detailKeys = Object.keys(entry.detail).sort(compareKeys);
  const detail = new Map<string, number | bigint | string>(
    detailKeys.map((key) => {
      const value = entry.detail[key] as AuditDetailValue;
      return [key, typeof value === "number" ? uintValue(value) : value];
    }),
  );
  const map = new Map<string, unknown>([
    ["at", uintValue(entry.at)],
    ["seq", uintValue(entry.seq)],
    ["kind", entry.kind],
    ["detail", detail],
    ["device", entry.device],
  ]);
  const bytes = new Uint8Array(plainEncoder.encode(map));
  if (bytes.length > MAX_AUDIT_ENTRY_BYTES) throw invalid(`the entry exceeds ${MAX_AUDIT_ENTRY_BYTES} bytes`);
  return bytes;
}

/**
 * Parses an entry's bytes from a peer or a store: strict CBOR, the shape and bounds
 * of version 1, and canonical form (the bytes must be exactly what
 * {@link encodeAuditEntry} writes for the entry they decode to), so two
 * implementations that hash a decoded entry agree with one that hashes the bytes.
 *
 * @throws VettidError `AUDIT_INVALID` for anything else.
 */
export function parseAuditEntry(bytes: Uint8Array): AuditEntry {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_AUDIT_ENTRY_BYTES) {
    throw invalid(`an entry is 1 to ${MAX_AUDIT_ENTRY_BYTES} bytes`);
  }
  try {
    checkEntry(bytes);
  } catch {
    throw invalid("not strict CBOR");
  }
  let raw: unknown;
  try {
    raw = plainDecoder.decode(bytes);
  } catch {
    throw invalid("does not decode");
  }
  if (!(raw instanceof Map)) throw invalid("not a map");
  const fields = new Set(["at", "seq", "kind", "detail", "device"]);
  if (raw.size !== fields.size || ![...raw.keys()].every((k) => fields.has(k as string))) {
    throw invalid("must hold exactly at, seq, kind, detail, device");
  }
  const rawDetail = raw.get("detail");
  if (!(rawDetail instanceof Map)) throw invalid("detail must be a map");
  const detail: Record<string, AuditDetailValue> = {};
  for (const [key, value] of rawDetail) {
    if (typeof key !== "string" || Object.hasOwn(detail, key)) throw invalid("bad detail key");
    Object.defineProperty(detail, key, { value: number(value) ?? value, enumerable: true, writable: true });
  }
  const entry: AuditEntry = {
    seq: number(raw.get("seq")) as number,
    at: number(raw.get("at")) as number,
    kind: raw.get("kind") as string,
    device: raw.get("device") as string,
    detail,
  };
  const again = encodeAuditEntry(entry);
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) throw invalid("not in canonical form");
  return entry;
}

/** A decoded integer as a number (cbor-x gives 8-byte integers as BigInt); anything else unchanged. */
function number(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
  return undefined;
}

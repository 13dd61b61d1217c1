import { createStrictCborCheck, plainDecoder, plainEncoder } from "../cbor";
import { VettidError } from "../errors";
import { ITEM_TYPES } from "../vault-protocol/constants";
import {
  MAX_SYNC_EVENT_BYTES,
  MAX_SYNC_NAME_LENGTH,
  MAX_SYNC_TIME_MS,
  MAX_SYNC_VALUE_BYTES,
  SYNC_DIGEST_BYTES,
  SYNC_KINDS,
} from "./constants";

export type SyncItemType = (typeof ITEM_TYPES)[number];

/** Fields every change carries. */
interface ChangeCommon {
  /** Counts from 1 without gaps, per vault. */
  seq: number;
  /** The enclave's clock, ms since the epoch. */
  at: number;
  /** The item's name. */
  name: string;
  /** The chain digest before this event (`digest_{seq−1}`; chain.ts). */
  prev: Uint8Array;
}

/** One committed change of a vault's items (constants.ts `SYNC_KINDS`). */
export type ChangeEvent =
  | (ChangeCommon & { kind: "item.put"; type: SyncItemType; version: number; value: Uint8Array })
  | (ChangeCommon & { kind: "item.deleted" });

/**
 * The encoding of an event (docs/protocol.md §Changes): deterministic CBOR
 * (RFC 8949 §4.2.1) of the map of its fields — keys shorter first, then bytewise
 * (`at, seq, kind, name, prev, type, value, version`), integers in their shortest
 * form, definite lengths, no tags, no floats; `item.deleted` carries no `type`,
 * `value` or `version`.
 */
const checkEvent = createStrictCborCheck({ mapKeys: ["text"], maxDepth: 1, maxItems: 32 });

const UINT32_MAX = 0xffff_ffff;

function invalid(message: string): VettidError {
  return new VettidError("SYNC_INVALID", `change event refused: ${message}`);
}

const uintValue = (n: number): number | bigint => (n > UINT32_MAX ? BigInt(n) : n);

/**
 * Checks an event against the rules of version 1 (without encoding it).
 * @throws VettidError `SYNC_INVALID` naming the field out of bounds.
 */
export function checkChangeEvent(event: ChangeEvent): void {
  const { seq, at, kind, name, prev } = event;
  if (!Number.isSafeInteger(seq) || seq < 1) throw invalid("seq must be a positive integer");
  if (!Number.isSafeInteger(at) || at < 0 || at > MAX_SYNC_TIME_MS) throw invalid("at must be a time in ms");
  if (kind !== SYNC_KINDS.itemPut && kind !== SYNC_KINDS.itemDeleted) throw invalid("unknown kind");
  if (typeof name !== "string" || name.length < 1 || name.length > MAX_SYNC_NAME_LENGTH || !name.isWellFormed()) {
    throw invalid(`name must be 1 to ${MAX_SYNC_NAME_LENGTH} characters`);
  }
  if (!(prev instanceof Uint8Array) || prev.length !== SYNC_DIGEST_BYTES) {
    throw invalid(`prev must be ${SYNC_DIGEST_BYTES} bytes`);
  }
  if (kind === SYNC_KINDS.itemPut) {
    const { type, version, value } = event;
    if (!(ITEM_TYPES as readonly string[]).includes(type)) throw invalid("type must be an item type");
    if (!Number.isSafeInteger(version) || version < 1) throw invalid("version must be a positive integer");
    if (!(value instanceof Uint8Array) || value.length > MAX_SYNC_VALUE_BYTES) {
      throw invalid(`value must be at most ${MAX_SYNC_VALUE_BYTES} bytes`);
    }
  } else if (["type", "version", "value"].some((field) => Object.hasOwn(event, field))) {
    throw invalid("item.deleted carries no type, version or value");
  }
}

/**
 * Encodes an event: the bytes the chain hashes, sealed and sent as they are.
 * @throws VettidError `SYNC_INVALID` for an event out of bounds.
 *
 * @example
 * const bytes = encodeChangeEvent({ seq: 1, at: Date.now(), kind: "item.deleted", name: "wifi", prev: syncGenesis(vaultId) });
 */
export function encodeChangeEvent(event: ChangeEvent): Uint8Array {
  checkChangeEvent(event);
  const entries: [string, unknown][] = [
    ["at", uintValue(event.at)],
    ["seq", uintValue(event.seq)],
    ["kind", event.kind],
    ["name", event.name],
    ["prev", event.prev],
  ];
  if (event.kind === SYNC_KINDS.itemPut) {
    entries.push(["type", event.type], ["value", event.value], ["version", uintValue(event.version)]);
  }
  const bytes = new Uint8Array(plainEncoder.encode(new Map(entries)));
  if (bytes.length > MAX_SYNC_EVENT_BYTES) throw invalid(`the event exceeds ${MAX_SYNC_EVENT_BYTES} bytes`);
  return bytes;
}

const PUT_FIELDS = ["at", "seq", "kind", "name", "prev", "type", "value", "version"];
const DELETED_FIELDS = ["at", "seq", "kind", "name", "prev"];

/**
 * Parses an event's bytes from a peer or a store: size first, strict CBOR, the shape
 * and bounds of version 1, and canonical form (the bytes must be exactly what
 * {@link encodeChangeEvent} writes for the event they decode to), so every
 * implementation hashes the same bytes.
 *
 * @throws VettidError `SYNC_INVALID` for anything else.
 */
export function parseChangeEvent(bytes: Uint8Array): ChangeEvent {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_SYNC_EVENT_BYTES) {
    throw invalid(`an event is 1 to ${MAX_SYNC_EVENT_BYTES} bytes`);
  }
  try {
    checkEvent(bytes);
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
  const kind = raw.get("kind");
  const fields = kind === SYNC_KINDS.itemPut ? PUT_FIELDS : DELETED_FIELDS;
  if (raw.size !== fields.length || !fields.every((field) => raw.has(field))) {
    throw invalid(`must hold exactly ${fields.join(", ")}`);
  }
  const common = {
    seq: number(raw.get("seq")),
    at: number(raw.get("at")),
    name: raw.get("name") as string,
    prev: raw.get("prev") as Uint8Array,
  };
  const event: ChangeEvent =
    kind === SYNC_KINDS.itemPut
      ? {
          ...common,
          kind,
          type: raw.get("type") as SyncItemType,
          version: number(raw.get("version")),
          value: raw.get("value") as Uint8Array,
        }
      : { ...common, kind: kind as "item.deleted" };
  const again = encodeChangeEvent(event);
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) throw invalid("not in canonical form");
  return event;
}

/** A decoded integer as a number (cbor-x gives 8-byte integers as BigInt); -1 for anything else. */
function number(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
  return -1;
}

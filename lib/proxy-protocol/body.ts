import { VettidError } from "../errors";
import type { FrameValue } from "../frames";

/** A frame body that is a map. */
export type BodyRecord = { [key: string]: FrameValue };

function bad(message: string): VettidError {
  return new VettidError("BAD_REQUEST", message);
}

/**
 * Narrows a frame body to a map.
 * @throws VettidError `BAD_REQUEST` otherwise.
 */
export function asRecord(body: FrameValue): BodyRecord {
  if (typeof body !== "object" || body === null || Array.isArray(body) || body instanceof Uint8Array) {
    throw bad("body must be a map");
  }
  return body;
}

/** Reads a required text field of at most `max` characters. */
export function readString(record: BodyRecord, key: string, max: number): string {
  const value = record[key];
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw bad(`${key} must be text of 1..${max} characters`);
  }
  return value;
}

/** Reads an optional text field (absent or null → undefined). */
export function readOptionalString(record: BodyRecord, key: string, max: number): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  return readString(record, key, max);
}

/** Reads a required byte-string field of at most `max` bytes. */
export function readBytes(record: BodyRecord, key: string, max: number): Uint8Array {
  const value = record[key];
  if (!(value instanceof Uint8Array) || value.length > max) throw bad(`${key} must be bytes (at most ${max})`);
  return value;
}

/** Reads a required integer field in `[min, max]`. */
export function readInteger(record: BodyRecord, key: string, min: number, max: number): number {
  const value = record[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw bad(`${key} must be an integer in ${min}..${max}`);
  }
  return value;
}

/** Reads a required finite number. */
export function readNumber(record: BodyRecord, key: string): number {
  const value = record[key];
  if (typeof value !== "number" || !Number.isFinite(value)) throw bad(`${key} must be a finite number`);
  return value;
}

/** Reads a field that must be one of `allowed`. */
export function readOneOf<T extends string>(record: BodyRecord, key: string, allowed: readonly T[]): T {
  const value = record[key];
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw bad(`${key} must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}

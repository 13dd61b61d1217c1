import { VettidError } from "../errors";
import type { WireMap, WireValue } from "./codec";

const encoder = new TextEncoder();

function invalid(key: string, what: string): VettidError {
  return new VettidError("VALIDATION_FAILED", `${key} must be ${what}`);
}

/** A required text field of `min..max` characters (and at most `maxBytes` UTF-8 bytes). */
export function text(map: WireMap, key: string, min: number, max: number, maxBytes = max * 4): string {
  const value = map[key];
  if (
    typeof value !== "string" ||
    value.length < min ||
    value.length > max ||
    encoder.encode(value).length > maxBytes
  ) {
    throw invalid(key, `text of ${min}..${max} characters`);
  }
  return value;
}

/** A required byte string of `min..max` bytes. */
export function bytes(map: WireMap, key: string, min: number, max: number): Uint8Array {
  const value = map[key];
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) {
    throw invalid(key, min === max ? `${min} bytes` : `${min}..${max} bytes`);
  }
  return value;
}

/** A required non-negative safe integer. */
export function uint(map: WireMap, key: string): number {
  const value = map[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw invalid(key, "a non-negative integer");
  return value;
}

/** A required boolean. */
export function bool(map: WireMap, key: string): boolean {
  const value = map[key];
  if (typeof value !== "boolean") throw invalid(key, "true or false");
  return value;
}

/** A required value out of `allowed`. */
export function oneOf<T extends string>(map: WireMap, key: string, allowed: readonly T[]): T {
  const value = map[key];
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalid(key, `one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/** A required map. */
export function record(value: WireValue | undefined, key: string): WireMap {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw invalid(key, "a map");
  }
  return value;
}

/** Refuses keys outside `allowed`, so a peer cannot smuggle fields a later version gives meaning to. */
export function only(map: WireMap, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(map)) {
    if (!allowed.includes(key))
      throw new VettidError("VALIDATION_FAILED", `${what} has an unknown field ${key.slice(0, 32)}`);
  }
}

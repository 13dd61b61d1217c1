import { randomBytes } from "node:crypto";

/** Prefixed random ids (128 bits); they fit a NATS subject token (lib/subjects ID_PATTERN). */
export function newId(prefix: "usr" | "dev" | "vlt"): string {
  return `${prefix}_${randomBytes(16).toString("hex")}`;
}

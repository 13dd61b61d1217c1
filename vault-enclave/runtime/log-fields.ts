/**
 * The only fields the runtime's log entries may carry to the host (DESIGN.md §3.1):
 * kinds and counts, never a vault id paired with content, an item name, a PIN or a
 * key. Anything else is dropped before the entry leaves the enclave.
 */
export const ALLOWED_LOG_FIELDS = ["initialized", "kind", "code", "op", "count", "durationMs"] as const;

const ALLOWED: ReadonlySet<string> = new Set(ALLOWED_LOG_FIELDS);

/** Longest text value kept (codes and op names are short). */
const MAX_TEXT = 64;

/**
 * `fields` with only the allow-listed keys and short primitive values.
 *
 * @example
 * allowListedFields({ code: "PIN_INCORRECT", name: "bank" }); // { code: "PIN_INCORRECT" }
 */
export function allowListedFields(
  fields: Record<string, string | number | boolean> | undefined,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (!ALLOWED.has(key)) continue;
    if (typeof value === "string") out[key] = value.slice(0, MAX_TEXT);
    else if (typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) out[key] = value;
  }
  return out;
}

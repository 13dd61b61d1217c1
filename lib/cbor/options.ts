import { VettidError } from "../errors";
import { DEFAULT_ITEMS_PER_BYTE, DEFAULT_MAX_DEPTH, KEY_TYPES, MAX_DEPTH_LIMIT } from "./constants";

/** A map key type a caller may allow: text strings, or integers (major types 0 and 1). */
export type CborKeyType = (typeof KEY_TYPES)[number];

/** Options of `createStrictCborCheck`. All are optional. */
export interface StrictCborOptions {
  /**
   * Tags the outermost item may carry: one tag, directly on it. Every other tag, and
   * any tag anywhere else, is refused. Default: none. Security: cbor-x gives many tags
   * a meaning (shared references, RegExp, typed arrays); allow only a tag whose content
   * the caller checks itself.
   */
  outermostTags?: readonly number[];
  /** Key types a map may use; any other key is refused. Default: `["text"]`. */
  mapKeys?: readonly CborKeyType[];
  /**
   * Deepest nesting, counting every array, map and tag as one level (a scalar at the
   * top is depth 0). Default: {@link DEFAULT_MAX_DEPTH}; at most {@link MAX_DEPTH_LIMIT}.
   */
  maxDepth?: number;
  /**
   * Most items the input may hold, map keys and tags included, counted before cbor-x
   * builds anything. Default: {@link DEFAULT_ITEMS_PER_BYTE} per input byte.
   */
  maxItems?: number;
  /**
   * Accept indefinite-length arrays and maps (never strings), each closed by its break
   * byte, for producers known to emit them (AWS NSM attestation payloads). Their items
   * are checked and counted like any others. Default: false.
   */
  indefiniteContainers?: boolean;
}

/** {@link StrictCborOptions} with defaults applied, as the check uses them. */
export interface StrictCborRules {
  tags: ReadonlySet<number>;
  allowText: boolean;
  allowInt: boolean;
  maxDepth: number;
  /** Undefined: the default budget, proportional to each input's length. */
  maxItems: number | undefined;
  allowIndefinite: boolean;
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
  "outermostTags",
  "mapKeys",
  "maxDepth",
  "maxItems",
  "indefiniteContainers",
]);

/**
 * Applies the defaults to `options`, refusing unknown keys and out-of-range values.
 * @throws VettidError `CONFIG_INVALID`.
 */
export function strictCborRules(options: StrictCborOptions): StrictCborRules {
  const invalid = (message: string): never => {
    throw new VettidError("CONFIG_INVALID", `strict CBOR options: ${message}`);
  };
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) invalid(`unknown option ${key}`);
  const tags = options.outermostTags ?? [];
  for (const tag of tags) {
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff_ffff) invalid(`${String(tag)} is not a 32-bit tag number`);
  }
  const mapKeys = options.mapKeys ?? ["text"];
  for (const type of mapKeys) if (!KEY_TYPES.includes(type)) invalid(`unknown map key type ${String(type)}`);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
    invalid(`maxDepth must be an integer in [1, ${MAX_DEPTH_LIMIT}]`);
  }
  const maxItems = options.maxItems;
  if (maxItems !== undefined && (!Number.isSafeInteger(maxItems) || maxItems < 1)) {
    invalid("maxItems must be a positive integer");
  }
  const allowIndefinite = options.indefiniteContainers ?? false;
  if (typeof allowIndefinite !== "boolean") invalid("indefiniteContainers must be a boolean");
  return {
    tags: new Set(tags),
    allowText: mapKeys.includes("text"),
    allowInt: mapKeys.includes("int"),
    maxDepth,
    maxItems,
    allowIndefinite,
  };
}

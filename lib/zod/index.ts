/**
 * The zod of production code: `zod/mini`, the tree-shakeable functional API, with
 * English issue messages.
 *
 * Classic `zod` puts ~90 KB into every bundle that imports it, even once: its schema
 * classes carry every method. `zod/mini` keeps only what a module uses (checks are
 * functions: `z.string().check(z.regex(re, "…"), z.describe("…"))`): ~30 KB for
 * all of the REST edge's schemas.
 *
 * Unlike classic zod, `zod/mini` loads no locale: its messages would all read "Invalid
 * input". Problem+json details and configuration errors show them, so English is set
 * here, once, from the one locale module (`z.locales.en` would bundle every locale).
 *
 * That one line is this repository's only import-time side effect: package.json
 * `sideEffects` lists this file so that bundlers keep it (and may drop any other
 * module a bundle does not use).
 *
 * Import it as `import * as z from "../zod"`. Functions that take a schema should type
 * it with `zod/v4/core` types (`$ZodType`) and parse with `z.safeParse(schema, value)`:
 * that accepts mini and classic schemas alike.
 */
import { en } from "zod/locales";
import { config } from "zod/mini";

config(en());

export * from "zod/mini";

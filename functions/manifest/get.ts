import { loadConfig, settings } from "../../lib/config";
import { VettidError } from "../../lib/errors";
import * as z from "../../lib/zod";
import { buildHandler, lazyHandler } from "../shared/handler";
import { inputs } from "../shared/request";
import type { RouteDefinition } from "../shared/route";
import { createManifestSource, type ManifestSource } from "./source";

/** The general JWS JSON serialization the manifest is published as (docs/protocol.md §PCR manifest). */
export const ManifestDocumentSchema = z
  .object({
    payload: z.string(),
    signatures: z.array(z.object({ protected: z.string(), signature: z.string() })),
  })
  .check(z.describe("SignedManifest (general JWS JSON: one ES256 signature per release key)"));

/** `?serial=N`: that manifest of the append-only history instead of the current one. */
export const ManifestQuerySchema = z.strictObject({
  serial: z
    .optional(z.string().check(z.regex(/^[1-9][0-9]{0,7}$/)))
    .check(z.describe("a serial of the history (1..99999999); absent = the current manifest")),
});

/** `GET /v1/pcr-manifest[?serial=N]` (public, cacheable, ETag). */
export const route: RouteDefinition<{ manifest: ManifestSource }> = {
  name: "pcr-manifest-get",
  method: "GET",
  path: "/v1/pcr-manifest",
  auth: "none",
  summary: "The signed PCR manifest, or one serial of its history (verify it against the pinned release key set)",
  query: ManifestQuerySchema,
  success: {
    status: 200,
    schema: ManifestDocumentSchema,
    description: "the current manifest, or serial N of the history; 304 on a matching If-None-Match",
  },
  errors: ["NOT_FOUND", "UNAVAILABLE"],
  env: ["VETTID_ENV", "VETTID_MANIFEST_SOURCE"],
  async handle(event, ctx) {
    const { query } = inputs<undefined, undefined, { serial?: string } | undefined>(event);
    const serial = query?.serial === undefined ? undefined : Number(query.serial);
    const manifest = await ctx.manifest.read(serial);
    if (!manifest) {
      throw new VettidError(
        "NOT_FOUND",
        serial === undefined ? "no manifest is published yet" : `no manifest of serial ${serial} is published`,
      );
    }
    // a serial of the history never changes; the current manifest does
    const headers = { etag: manifest.etag, "cache-control": `public, max-age=${serial === undefined ? 60 : 86_400}` };
    const match = event.headers?.["if-none-match"];
    if (typeof match === "string" && match.split(",").some((tag) => tag.trim().replace(/^W\//, "") === manifest.etag)) {
      return { statusCode: 304, headers };
    }
    return { body: manifest.text, headers };
  },
};

const ManifestConfigSchema = z.object({
  VETTID_ENV: settings.environment,
  VETTID_MANIFEST_SOURCE: z.optional(z.string().check(z.minLength(1))),
  VETTID_CORS_ORIGINS: z.optional(z.string()),
});

export const handler = lazyHandler(() => {
  const config = loadConfig(ManifestConfigSchema);
  const manifest = createManifestSource(config.VETTID_MANIFEST_SOURCE);
  return buildHandler(route, {
    environment: config.VETTID_ENV,
    corsOrigins: (config.VETTID_CORS_ORIGINS ?? "").split(",").filter(Boolean),
    context: () => ({ manifest }),
  });
});

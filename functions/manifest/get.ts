import { loadConfig, settings } from "../../lib/config";
import { VettidError } from "../../lib/errors";
import * as z from "../../lib/zod";
import { buildHandler, lazyHandler } from "../shared/handler";
import type { RouteDefinition } from "../shared/route";
import { createManifestSource, type ManifestSource } from "./source";

/** The general JWS JSON serialization the manifest is published as (docs/protocol.md §PCR manifest). */
export const ManifestDocumentSchema = z
  .object({
    payload: z.string(),
    signatures: z.array(z.object({ protected: z.string(), signature: z.string() })),
  })
  .check(z.describe("SignedManifest (general JWS JSON: one ES256 signature per release key)"));

/** `GET /v1/pcr-manifest` (public, cacheable, ETag). */
export const route: RouteDefinition<{ manifest: ManifestSource }> = {
  name: "pcr-manifest-get",
  method: "GET",
  path: "/v1/pcr-manifest",
  auth: "none",
  summary: "The signed PCR manifest (verify it against the pinned release key set)",
  success: {
    status: 200,
    schema: ManifestDocumentSchema,
    description: "the current manifest; 304 on a matching If-None-Match",
  },
  errors: ["NOT_FOUND", "UNAVAILABLE"],
  env: ["VETTID_ENV", "VETTID_MANIFEST_SOURCE"],
  async handle(event, ctx) {
    const manifest = await ctx.manifest.read();
    if (!manifest) throw new VettidError("NOT_FOUND", "no manifest is published yet");
    const headers = { etag: manifest.etag, "cache-control": "public, max-age=60" };
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

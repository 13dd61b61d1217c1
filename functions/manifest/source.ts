import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { VettidError } from "../../lib/errors";
import { MAX_MANIFEST_BYTES, parseManifestEnvelope } from "../../lib/manifest";

/** The published manifest as served: its text and its strong ETag. */
export interface PublishedManifest {
  text: string;
  etag: string;
}

/** Where the edge reads the signed PCR manifest (a port). */
export interface ManifestSource {
  /** undefined when none is published yet. */
  read(): Promise<PublishedManifest | undefined>;
}

/** The manifest is re-read at most once a minute per container (the CDN caches longer). */
const CACHE_MS = 60_000;

/**
 * Reads the manifest from an `https://` (or, locally, `http://`) URL or a file
 * path, checks it is a general JWS JSON object `{payload, signatures}` (the
 * signatures are checked by the devices against their pinned release key set, not
 * here), and caches it.
 */
export function createManifestSource(location: string | undefined): ManifestSource {
  let cached: { at: number; value: PublishedManifest | undefined } | undefined;
  const load = async (): Promise<PublishedManifest | undefined> => {
    if (!location) return undefined;
    let text: string;
    try {
      if (/^https?:\/\//.test(location)) {
        const response = await fetch(location);
        if (response.status === 404) return undefined;
        if (!response.ok) throw new Error(`status ${response.status}`);
        text = await response.text();
      } else {
        text = await readFile(location, "utf8");
      }
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return undefined;
      throw new VettidError("UNAVAILABLE", "the manifest could not be read", { cause: err });
    }
    if (text.length > MAX_MANIFEST_BYTES) throw new VettidError("UNAVAILABLE", "the published manifest is too large");
    try {
      parseManifestEnvelope(text);
    } catch (err) {
      throw new VettidError("UNAVAILABLE", "the published manifest is not a general JWS JSON object", { cause: err });
    }
    return { text, etag: `"${createHash("sha256").update(text).digest("base64url")}"` };
  };
  return {
    async read() {
      if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
      const value = await load();
      cached = { at: Date.now(), value };
      return value;
    },
  };
}

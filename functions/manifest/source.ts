import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { VettidError } from "../../lib/errors";
import {
  MAX_MANIFEST_BYTES,
  manifestHistoryKey,
  manifestHistoryUrl,
  parseManifestEnvelope,
  readManifestBody,
} from "../../lib/manifest";

/** The published manifest as served: its text and its strong ETag. */
export interface PublishedManifest {
  text: string;
  etag: string;
}

/** Where the edge reads the signed PCR manifest (a port). */
export interface ManifestSource {
  /**
   * The current manifest, or with `serial` that one of the append-only history
   * published beside it (`manifests/<serial>.json`); undefined when none is published.
   */
  read(serial?: number): Promise<PublishedManifest | undefined>;
}

/** The manifest is re-read at most once a minute per container (the CDN caches longer). */
const CACHE_MS = 60_000;

/** History entries cached per container (each is immutable once published). */
const MAX_CACHED = 16;

/** The location of serial `serial` of the history beside `location` (a CDN URL or a file). */
function historyLocation(location: string, serial: number): string | undefined {
  if (/^https?:\/\//.test(location)) return manifestHistoryUrl(location, serial);
  return join(dirname(location), manifestHistoryKey(serial));
}

/**
 * Reads the manifest from an `https://` (or, locally, `http://`) URL or a file path,
 * and the history beside it (decision 0067), counting a download's bytes as they
 * arrive; checks it is a general JWS JSON object `{payload, signatures}` (the
 * signatures are checked by the devices against their pinned release key set, not
 * here), and caches it.
 */
export function createManifestSource(location: string | undefined): ManifestSource {
  // the current manifest apart from the history, so requests for many serials never evict it
  let current: { at: number; value: PublishedManifest | undefined } | undefined;
  const cache = new Map<number, { at: number; value: PublishedManifest | undefined }>();
  const load = async (from: string | undefined): Promise<PublishedManifest | undefined> => {
    if (!from) return undefined;
    let text: string;
    try {
      if (/^https?:\/\//.test(from)) {
        const response = await fetch(from);
        if (response.status === 404 || response.status === 403) return undefined; // S3 behind a CDN answers 403
        if (!response.ok) throw new Error(`status ${response.status}`);
        text = await readManifestBody(response);
      } else {
        text = await readFile(from, "utf8");
      }
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return undefined;
      throw new VettidError("UNAVAILABLE", "the manifest could not be read", { cause: err });
    }
    if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES)
      throw new VettidError("UNAVAILABLE", "the published manifest is too large");
    try {
      parseManifestEnvelope(text);
    } catch (err) {
      throw new VettidError("UNAVAILABLE", "the published manifest is not a general JWS JSON object", { cause: err });
    }
    return { text, etag: `"${createHash("sha256").update(text).digest("base64url")}"` };
  };
  return {
    async read(serial) {
      const hit = serial === undefined ? current : cache.get(serial);
      if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
      const value = await load(serial === undefined || !location ? location : historyLocation(location, serial));
      if (serial === undefined) {
        current = { at: Date.now(), value };
        return value;
      }
      cache.delete(serial);
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as number);
      cache.set(serial, { at: Date.now(), value });
      return value;
    },
  };
}

import { readFileSync } from "node:fs";
import type { JWK } from "jose";
import { VettidError } from "../lib/errors";
import { MAX_MANIFEST_BYTES, type Manifest, verifyManifest } from "../lib/manifest";

/** Where the signed manifest comes from. */
export type ManifestLocation = { file: string } | { url: string };

/** How long a fetched manifest is reused before it is fetched again: new releases apply within a minute. */
export const MANIFEST_REFRESH_MS = 60_000;

/**
 * Returns a loader of the current verified manifest: read from a file (every call) or
 * fetched from a URL (at most once per {@link MANIFEST_REFRESH_MS}), verified against
 * the release key each time, and never accepted with a serial lower than one already
 * seen (rollback protection). When a refresh fails, the last verified manifest is kept.
 */
export function manifestSource(
  location: ManifestLocation,
  publicKey: JWK,
  now: () => number = Date.now,
): () => Promise<Manifest> {
  let minSerial = 0;
  let cached: { manifest: Manifest; at: number } | undefined;
  const read = async (): Promise<string> => {
    if ("file" in location) return readFileSync(location.file, "utf8");
    const response = await fetch(location.url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new VettidError("UNAVAILABLE", `manifest fetch answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_MANIFEST_BYTES) throw new VettidError("MANIFEST_INVALID", "manifest too large");
    return text;
  };
  return async () => {
    if (cached && "url" in location && now() - cached.at < MANIFEST_REFRESH_MS) return cached.manifest;
    try {
      const manifest = await verifyManifest(await read(), { publicKey, minSerial });
      minSerial = Math.max(minSerial, manifest.serial);
      cached = { manifest, at: now() };
      return manifest;
    } catch (err) {
      if (cached) return cached.manifest;
      throw err;
    }
  };
}

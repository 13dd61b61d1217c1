import { readFileSync } from "node:fs";
import { VettidError } from "../lib/errors";
import {
  type Manifest,
  manifestHistoryUrl,
  type ReleaseKeySet,
  readManifestBody,
  verifyManifestUpdate,
} from "../lib/manifest";

/** Where the signed manifest comes from. */
export type ManifestLocation = { file: string } | { url: string };

/** How long a fetched manifest is reused before it is fetched again: new releases apply within a minute. */
export const MANIFEST_REFRESH_MS = 60_000;

/** Per manifest download (at most 512 KiB). */
const FETCH_TIMEOUT_MS = 10_000;

async function download(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new VettidError("UNAVAILABLE", `manifest fetch answered ${response.status}`);
  return readManifestBody(response);
}

/**
 * Returns a loader of the current verified manifest: read from a file (every call) or
 * fetched from a URL (at most once per {@link MANIFEST_REFRESH_MS}), verified as
 * lib/manifest does: signatures of the release key set's threshold (`keys` pinned at
 * start, then the key set of the last accepted manifest, so a rotation carries over),
 * not expired, every release past its activation delay, and extending the manifest
 * accepted before (never an older serial, never a fork). A manifest several serials
 * ahead is accepted only through the manifests between, fetched from the history
 * beside the URL (`manifests/<serial>.json`). When a refresh fails, the last verified
 * manifest is kept.
 *
 * @param keys the pinned release key set (object or JSON text), `VETTID_MANIFEST_KEY_FILE`.
 */
export function manifestSource(
  location: ManifestLocation,
  keys: ReleaseKeySet | string,
  now: () => number = Date.now,
  limits: {
    /** The activation delay required of releases (default 7 days); the local topology alone passes 0. */
    activationDelayMs?: number;
    /** The lowest serial accepted, also before anything was accepted: the serial the stacks deployed. */
    minSerial?: number;
  } = {},
): () => Promise<Manifest> {
  let accepted: { manifest: Manifest; text: string } | undefined;
  let fetchedAt = 0;
  const read = (): Promise<string> =>
    "file" in location ? Promise.resolve(readFileSync(location.file, "utf8")) : download(location.url);

  const history = (serial: number) => {
    const url = "url" in location ? manifestHistoryUrl(location.url, serial) : undefined;
    return url === undefined ? undefined : download(url);
  };
  const verify = async (text: string): Promise<{ manifest: Manifest; text: string }> => {
    const options = { keys, previous: accepted?.text, now: new Date(now()), ...limits };
    return { manifest: await verifyManifestUpdate(text, options, history), text };
  };

  return async () => {
    if (accepted && "url" in location && now() - fetchedAt < MANIFEST_REFRESH_MS) return accepted.manifest;
    try {
      accepted = await verify(await read());
      fetchedAt = now();
      return accepted.manifest;
    } catch (err) {
      if (!accepted) throw err;
      // a failed refresh is tried again after the same interval, not on every call:
      // a slow or hostile CDN must not hold every enclave connection up
      fetchedAt = now();
      return accepted.manifest;
    }
  };
}

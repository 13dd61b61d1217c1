/** The path of the current manifest on the CDN (DESIGN.md §4). */
export const MANIFEST_PATH = "/.well-known/vettid/pcr-manifest.json";

/** Key of serial `serial` in the append-only history beside it: `manifests/00000042.json`. */
export function manifestHistoryKey(serial: number): string {
  return `manifests/${String(serial).padStart(8, "0")}.json`;
}

/** The edge's own path of the current manifest (`GET /v1/pcr-manifest`); `?serial=N` serves the history. */
export const EDGE_MANIFEST_PATH = "/v1/pcr-manifest";

/**
 * Where serial `serial` of the history is published, given the URL the current
 * manifest was fetched from: beside it on the CDN, or the edge's `?serial=N`;
 * undefined for any other URL.
 *
 * @example
 * manifestHistoryUrl("https://d1.cloudfront.net/.well-known/vettid/pcr-manifest.json", 7)
 * // "https://d1.cloudfront.net/manifests/00000007.json"
 * manifestHistoryUrl("https://api.example.com/v1/pcr-manifest", 7)
 * // "https://api.example.com/v1/pcr-manifest?serial=7"
 */
export function manifestHistoryUrl(manifestUrl: string, serial: number): string | undefined {
  let url: URL;
  try {
    url = new URL(manifestUrl);
  } catch {
    return undefined;
  }
  if (url.pathname.endsWith(EDGE_MANIFEST_PATH)) {
    return new URL(`${url.pathname}?serial=${serial}`, url.origin).toString();
  }
  if (!url.pathname.endsWith(MANIFEST_PATH)) return undefined;
  const base = url.pathname.slice(0, -MANIFEST_PATH.length);
  return new URL(`${base}/${manifestHistoryKey(serial)}`, url.origin).toString();
}

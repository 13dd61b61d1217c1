import type { Manifest, Release } from "./schema";

function toHex(value: Uint8Array | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value.toLowerCase() : Buffer.from(value).toString("hex");
}

/**
 * True when `release` is approved at `now`: active or deprecated, activated (its
 * `activates_at` passed: the activation delay is over) and not past `valid_until`.
 */
export function isApproved(release: Release, now: Date = new Date()): boolean {
  if (release.status === "retired") return false;
  const t = now.getTime();
  if (t < Date.parse(release.activates_at)) return false;
  return release.valid_until === null || t < Date.parse(release.valid_until);
}

/**
 * The releases approved at `now` (status `active` or `deprecated`, activated, not past
 * their validity); none once the manifest itself has expired. `deprecated` means "still
 * approved, being replaced"; `retired` is never approved again.
 */
export function activeReleases(manifest: Manifest, now: Date = new Date()): Release[] {
  if (now.getTime() >= Date.parse(manifest.expires_at)) return [];
  return manifest.releases.filter((r) => isApproved(r, now));
}

/**
 * The approved release whose PCR0, PCR1 and PCR2 all equal `pcrs` (bytes or hex), or
 * undefined.
 *
 * @example
 * const release = findRelease(manifest, verified.pcrs);
 * if (!release) throw new Error("enclave image not approved");
 */
export function findRelease(
  manifest: Manifest,
  pcrs: Record<number, Uint8Array | string>,
  now: Date = new Date(),
): Release | undefined {
  const [p0, p1, p2] = [toHex(pcrs[0]), toHex(pcrs[1]), toHex(pcrs[2])];
  if (!p0 || !p1 || !p2) return undefined;
  return activeReleases(manifest, now).find((r) => r.pcr0 === p0 && r.pcr1 === p1 && r.pcr2 === p2);
}

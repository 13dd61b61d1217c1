import type { Manifest, ReleaseKeySet } from "../../lib/manifest";
import { UNSIGNED_DEV_KEY_SET } from "./dev-release-keys";

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString("hex");

/** How long a dev manifest is valid: the launcher signs the next serial before it expires. */
export const DEV_MANIFEST_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/** Options of {@link devManifest}. */
export interface DevManifestOptions {
  /** The release key set the manifest names and that signs it (default {@link UNSIGNED_DEV_KEY_SET}). */
  keys?: ReleaseKeySet;
  /** Release id (default `dev`). */
  id?: string;
  /** Manifest serial (default 1). */
  serial?: number;
  /** Digest of the previous manifest (required for a serial above 1). */
  previous?: string | null;
  /** Issue time (default now); the release is valid without end. */
  now?: Date;
  /**
   * When the release is approved (default a minute before `now`); never earlier than
   * the previous manifest's `issued_at`, which the chain rule requires of a new release.
   */
  approvedAt?: Date;
  /**
   * The release's activation delay (default 0: DEV ONLY, the local topology verifies
   * with a zero delay; production verifiers require 7 days).
   */
  activationDelayMs?: number;
  /** SHA-384 of the runtime bundle, for the build provenance (default all zero). */
  bundleSha384?: string;
}

/**
 * A one-release manifest (DEV ONLY) that approves the PCR0-2 of a simulated NSM, for
 * the local topology, tests and benchmarks. Sign it with `signManifest` from lib/manifest
 * with the threshold of `keys`.
 */
export function devManifest(pcrs: Record<number, Uint8Array>, options: DevManifestOptions = {}): Manifest {
  const now = options.now ?? new Date();
  const approved = options.approvedAt ?? new Date(now.getTime() - 60_000);
  return {
    schema: "vettid.pcr-manifest/v2",
    serial: options.serial ?? 1,
    previous: options.previous ?? null,
    issued_at: now.toISOString(),
    expires_at: new Date(now.getTime() + DEV_MANIFEST_LIFETIME_MS).toISOString(),
    keys: options.keys ?? UNSIGNED_DEV_KEY_SET,
    releases: [
      {
        id: options.id ?? "dev",
        pcr0: hex(pcrs[0]),
        pcr1: hex(pcrs[1]),
        pcr2: hex(pcrs[2]),
        status: "active",
        approved_at: approved.toISOString(),
        activates_at: new Date(approved.getTime() + (options.activationDelayMs ?? 0)).toISOString(),
        valid_until: null,
        build: { commit: "0".repeat(40), bundle_sha384: options.bundleSha384 ?? "0".repeat(96) },
      },
    ],
  };
}

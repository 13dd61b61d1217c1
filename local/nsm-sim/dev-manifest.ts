import type { Manifest } from "../../lib/manifest";

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString("hex");

/** Options of {@link devManifest}. */
export interface DevManifestOptions {
  /** Release id (default `dev`). */
  id?: string;
  /** Manifest serial (default 1). */
  serial?: number;
  /** Issue time (default now); the release is valid from one minute before it, without end. */
  now?: Date;
  /** SHA-384 of the runtime bundle, for the build provenance (default all zero). */
  bundleSha384?: string;
}

/**
 * A one-release manifest (DEV ONLY) that approves the PCR0-2 of a simulated NSM, for
 * the local topology, tests and benchmarks. Sign it with `signManifest` from lib/manifest.
 */
export function devManifest(pcrs: Record<number, Uint8Array>, options: DevManifestOptions = {}): Manifest {
  const now = options.now ?? new Date();
  return {
    schema: "vettid.pcr-manifest/v1",
    serial: options.serial ?? 1,
    issued_at: now.toISOString(),
    releases: [
      {
        id: options.id ?? "dev",
        pcr0: hex(pcrs[0]),
        pcr1: hex(pcrs[1]),
        pcr2: hex(pcrs[2]),
        status: "active",
        valid_from: new Date(now.getTime() - 60_000).toISOString(),
        valid_until: null,
        build: { commit: "0".repeat(40), bundle_sha384: options.bundleSha384 ?? "0".repeat(96) },
      },
    ],
  };
}

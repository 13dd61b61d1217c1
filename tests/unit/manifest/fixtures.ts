import type { Manifest, Release } from "../../../lib/manifest";

export const h96 = (c: string) => c.repeat(96);

export function release(overrides: Partial<Release> = {}): Release {
  return {
    id: "2026.11.28-1",
    pcr0: h96("a"),
    pcr1: h96("b"),
    pcr2: h96("c"),
    status: "active",
    valid_from: "2026-11-01T00:00:00Z",
    valid_until: null,
    build: { commit: "0123456789abcdef0123456789abcdef01234567", bundle_sha384: h96("d") },
    ...overrides,
  };
}

export function manifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    schema: "vettid.pcr-manifest/v1",
    serial: 3,
    issued_at: "2026-11-28T00:00:00Z",
    releases: [release()],
    ...overrides,
  };
}

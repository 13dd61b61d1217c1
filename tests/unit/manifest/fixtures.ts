import {
  generateManifestKeyPair,
  type Manifest,
  type ManifestKeyPair,
  type Release,
  type ReleaseKeySet,
  releaseKeySet,
} from "../../../lib/manifest";

export const h96 = (c: string) => c.repeat(96);

/** The time the fixture manifests are verified at: after activation, before expiry. */
export const now = new Date("2026-12-10T00:00:00Z");

export function release(overrides: Partial<Release> = {}): Release {
  return {
    id: "2026.11.28-1",
    pcr0: h96("a"),
    pcr1: h96("b"),
    pcr2: h96("c"),
    status: "active",
    approved_at: "2026-11-28T00:00:00Z",
    activates_at: "2026-12-05T00:00:00Z",
    valid_until: null,
    build: { commit: "0123456789abcdef0123456789abcdef01234567", bundle_sha384: h96("d") },
    ...overrides,
  };
}

/** Three release keys of three owners (two AWS accounts and an offline token). */
export interface ReleaseKeys {
  a: ManifestKeyPair;
  b: ManifestKeyPair;
  c: ManifestKeyPair;
  /** 2 of {a, b, c}. */
  set: ReleaseKeySet;
}

export async function releaseKeys(
  owners: [string, string, string] = ["aws:111111111111", "aws:222222222222", "offline:hsm-1"],
): Promise<ReleaseKeys> {
  const [a, b, c] = [await generateManifestKeyPair(), await generateManifestKeyPair(), await generateManifestKeyPair()];
  const set = releaseKeySet(2, [
    { owner: owners[0], jwk: a.publicKey },
    { owner: owners[1], jwk: b.publicKey },
    { owner: owners[2], jwk: c.publicKey },
  ]);
  return { a, b, c, set };
}

export function manifest(keys: ReleaseKeySet, overrides: Partial<Manifest> = {}): Manifest {
  return {
    schema: "vettid.pcr-manifest/v2",
    serial: 1,
    previous: null,
    issued_at: "2026-11-28T00:00:00Z",
    expires_at: "2027-02-26T00:00:00Z",
    keys,
    releases: [release()],
    ...overrides,
  };
}

import {
  activeReleases,
  findRelease,
  generateManifestKeyPair,
  ManifestSchema,
  manifestDigest,
  signManifest,
  verifyManifest,
} from "../../../lib/manifest";
import { h96, manifest, now, type ReleaseKeys, release, releaseKeys } from "./fixtures";

async function expectCode(p: Promise<unknown>, code: string): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect((err as { code?: string }).code).toBe(code);
    return (err as Error).message;
  }
  throw new Error(`expected ${code}`);
}

describe("PCR manifests", () => {
  let k: ReleaseKeys;
  beforeAll(async () => {
    k = await releaseKeys();
  });

  it("sign as a general JWS (one ES256 signature with kid per key) and verify with the pinned key set", async () => {
    // Act
    const text = await signManifest(manifest(k.set), [k.a.privateKey, k.b.privateKey]);
    const jws = JSON.parse(text) as { payload: string; signatures: { protected: string; signature: string }[] };
    const headers = jws.signatures.map((s) => JSON.parse(Buffer.from(s.protected, "base64url").toString()));
    const verified = await verifyManifest(text, { keys: k.set, minSerial: 1, now });
    // Assess
    expect(Object.keys(jws).sort()).toEqual(["payload", "signatures"]);
    expect(headers).toEqual([
      { alg: "ES256", kid: k.a.kid },
      { alg: "ES256", kid: k.b.kid },
    ]);
    expect(verified).toEqual(manifest(k.set));
    expect(manifestDigest(text)).toMatch(/^[0-9a-f]{96}$/);
  });

  it("accept the key set as JSON text", async () => {
    const text = await signManifest(manifest(k.set), [k.a.privateKey, k.c.privateKey]);
    await expect(verifyManifest(text, { keys: JSON.stringify(k.set), now })).resolves.toBeDefined();
  });

  it("refuse another key set, a changed payload, an unsigned alg and unknown members", async () => {
    const other = await releaseKeys();
    const text = await signManifest(manifest(k.set), [k.a.privateKey, k.b.privateKey]);
    await expectCode(verifyManifest(text, { keys: other.set, now }), "MANIFEST_THRESHOLD");
    const jws = JSON.parse(text) as { payload: string; signatures: { protected: string; signature: string }[] };
    const payload = Buffer.from(JSON.stringify(manifest(k.set, { serial: 99, previous: h96("0") }))).toString(
      "base64url",
    );
    await expectCode(verifyManifest(JSON.stringify({ ...jws, payload }), { keys: k.set, now }), "MANIFEST_INVALID");
    const none = Buffer.from(JSON.stringify({ alg: "none", kid: k.a.kid })).toString("base64url");
    const unsigned = { ...jws, signatures: jws.signatures.map((s) => ({ ...s, protected: none })) };
    await expectCode(verifyManifest(JSON.stringify(unsigned), { keys: k.set, now }), "MANIFEST_INVALID");
    const header = { ...jws, signatures: [{ ...jws.signatures[0], header: { kid: "x" } }, jws.signatures[1]] };
    await expectCode(verifyManifest(JSON.stringify(header), { keys: k.set, now }), "MANIFEST_INVALID");
    await expectCode(verifyManifest(JSON.stringify({ ...jws, extra: 1 }), { keys: k.set, now }), "MANIFEST_INVALID");
    await expectCode(verifyManifest(text, { now }), "MANIFEST_INVALID");
  });

  it("refuse a version 1 manifest (one signature, no chain, no expiry)", async () => {
    const single = await generateManifestKeyPair();
    const v1 = {
      protected: Buffer.from(JSON.stringify({ alg: "ES256", kid: single.kid })).toString("base64url"),
      payload: Buffer.from(JSON.stringify({ schema: "vettid.pcr-manifest/v1", serial: 1 })).toString("base64url"),
      signature: "AAAA",
    };
    await expectCode(verifyManifest(JSON.stringify(v1), { keys: k.set, now }), "MANIFEST_INVALID");
  });

  it("refuse unknown fields at every level, and bad values", () => {
    const bad = [
      { ...manifest(k.set), extra: 1 },
      manifest(k.set, { releases: [{ ...release(), extra: 1 } as never] }),
      manifest(k.set, { releases: [release({ build: { ...release().build, extra: 1 } as never })] }),
      manifest(k.set, { keys: { ...k.set, extra: 1 } as never }),
      manifest(k.set, { keys: { ...k.set, keys: [{ ...k.set.keys[0]!, extra: 1 } as never] } }),
      manifest(k.set, { keys: { ...k.set, threshold: 4 } }),
      manifest(k.set, { releases: [release({ pcr0: h96("A") })] }),
      manifest(k.set, { releases: [release({ pcr0: "ab" })] }),
      manifest(k.set, { releases: [release({ status: "paused" as never })] }),
      manifest(k.set, { releases: [release({ valid_until: "2026-12-01T00:00:00Z" })] }),
      manifest(k.set, { releases: [release({ activates_at: "2026-11-27T00:00:00Z" })] }),
      manifest(k.set, { releases: [release({ approved_at: "2026-11-29T00:00:00Z" })] }),
      manifest(k.set, { releases: [release(), release()] }),
      manifest(k.set, { releases: [] }),
      manifest(k.set, { serial: 0 }),
      manifest(k.set, { serial: 1.5 }),
      manifest(k.set, { serial: 2 }),
      manifest(k.set, { previous: h96("0") }),
      manifest(k.set, { expires_at: "2026-11-28T00:00:00Z" }),
      manifest(k.set, { issued_at: "yesterday" }),
      { ...manifest(k.set), schema: "vettid.pcr-manifest/v1" },
    ];
    for (const value of bad) expect(ManifestSchema.safeParse(value).success).toBe(false);
    expect(ManifestSchema.safeParse(manifest(k.set)).success).toBe(true);
  });

  it("refuse signing an invalid manifest", async () => {
    await expectCode(signManifest(manifest(k.set, { serial: -1 }), k.a.privateKey), "MANIFEST_INVALID");
  });

  it("approve active and deprecated releases inside their window, never retired ones", () => {
    const m = manifest(k.set, {
      releases: [
        release({ id: "a" }),
        release({ id: "d", status: "deprecated", pcr0: h96("1") }),
        release({ id: "r", status: "retired", pcr0: h96("2") }),
        release({ id: "future", activates_at: "2027-01-01T00:00:00Z", pcr0: h96("3") }),
        release({ id: "past", valid_until: "2026-12-06T00:00:00Z", pcr0: h96("4") }),
      ],
    });
    expect(activeReleases(m, now).map((r) => r.id)).toEqual(["a", "d"]);
    expect(findRelease(m, { 0: h96("a"), 1: h96("b"), 2: h96("c") }, now)?.id).toBe("a");
    expect(findRelease(m, { 0: Buffer.from(h96("1"), "hex"), 1: h96("b"), 2: h96("c") }, now)?.id).toBe("d");
    expect(findRelease(m, { 0: h96("2"), 1: h96("b"), 2: h96("c") }, now)).toBeUndefined();
    expect(findRelease(m, { 0: h96("3"), 1: h96("b"), 2: h96("c") }, now)).toBeUndefined();
    expect(findRelease(m, { 0: h96("4"), 1: h96("b"), 2: h96("c") }, now)).toBeUndefined();
    expect(findRelease(m, { 0: h96("a"), 1: h96("b") }, now)).toBeUndefined();
  });
});

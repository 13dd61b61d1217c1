import {
  activeReleases,
  findRelease,
  generateManifestKeyPair,
  type ManifestKeyPair,
  ManifestSchema,
  signManifest,
  verifyManifest,
} from "../../../lib/manifest";
import { h96, manifest, release } from "./fixtures";

const now = new Date("2026-11-28T12:00:00Z");

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
  let keys: ManifestKeyPair;
  beforeAll(async () => {
    keys = await generateManifestKeyPair();
  });

  it("sign as a flattened JWS (ES256, kid) and verify with the pinned key", async () => {
    // Act
    const text = await signManifest(manifest(), keys.privateKey);
    const jws = JSON.parse(text) as Record<string, string>;
    const header = JSON.parse(Buffer.from(jws.protected!, "base64url").toString()) as Record<string, string>;
    const verified = await verifyManifest(text, { publicKey: keys.publicKey, minSerial: 3, now });
    // Assess
    expect(Object.keys(jws).sort()).toEqual(["payload", "protected", "signature"]);
    expect(header).toEqual({ alg: "ES256", kid: keys.kid });
    expect(verified).toEqual(manifest());
  });

  it("accept the public key as JWK JSON text", async () => {
    const text = await signManifest(manifest(), keys.privateKey);
    await expect(verifyManifest(text, { publicKey: JSON.stringify(keys.publicKey), now })).resolves.toBeDefined();
  });

  it("refuse a rollback to an older serial", async () => {
    const text = await signManifest(manifest({ serial: 2 }), keys.privateKey);
    const message = await expectCode(
      verifyManifest(text, { publicKey: keys.publicKey, minSerial: 3, now }),
      "MANIFEST_ROLLBACK",
    );
    expect(message).toContain("serial 2");
  });

  it("refuse another key, a changed payload, and an unsigned alg", async () => {
    const other = await generateManifestKeyPair();
    const text = await signManifest(manifest(), keys.privateKey);
    await expectCode(verifyManifest(text, { publicKey: other.publicKey, now }), "MANIFEST_INVALID");
    const { kid: _kid, ...noKid } = other.publicKey;
    await expectCode(verifyManifest(text, { publicKey: noKid, now }), "MANIFEST_INVALID");
    const jws = JSON.parse(text) as Record<string, string>;
    const payload = Buffer.from(JSON.stringify(manifest({ serial: 99 }))).toString("base64url");
    await expectCode(
      verifyManifest(JSON.stringify({ ...jws, payload }), { publicKey: keys.publicKey, now }),
      "MANIFEST_INVALID",
    );
    const none = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    await expectCode(
      verifyManifest(JSON.stringify({ ...jws, protected: none }), { publicKey: keys.publicKey, now }),
      "MANIFEST_INVALID",
    );
    await expectCode(
      verifyManifest(JSON.stringify({ ...jws, header: { kid: "x" } }), { publicKey: keys.publicKey, now }),
      "MANIFEST_INVALID",
    );
  });

  it("refuse unknown fields at every level, and bad values", () => {
    const bad = [
      { ...manifest(), extra: 1 },
      manifest({ releases: [{ ...release(), extra: 1 } as never] }),
      manifest({ releases: [release({ build: { ...release().build, extra: 1 } as never })] }),
      manifest({ releases: [release({ pcr0: h96("A") })] }),
      manifest({ releases: [release({ pcr0: "ab" })] }),
      manifest({ releases: [release({ status: "paused" as never })] }),
      manifest({ releases: [release({ valid_until: "2026-10-01T00:00:00Z" })] }),
      manifest({ releases: [release(), release()] }),
      manifest({ releases: [] }),
      manifest({ serial: 0 }),
      manifest({ serial: 1.5 }),
      manifest({ issued_at: "yesterday" }),
      { ...manifest(), schema: "vettid.pcr-manifest/v2" },
    ];
    for (const value of bad) expect(ManifestSchema.safeParse(value).success).toBe(false);
    expect(ManifestSchema.safeParse(manifest()).success).toBe(true);
  });

  it("refuse signing an invalid manifest", async () => {
    await expectCode(signManifest(manifest({ serial: -1 }), keys.privateKey), "MANIFEST_INVALID");
  });

  it("approve active and deprecated releases inside their window, never retired ones", () => {
    const m = manifest({
      releases: [
        release({ id: "a" }),
        release({ id: "d", status: "deprecated", pcr0: h96("1") }),
        release({ id: "r", status: "retired", pcr0: h96("2") }),
        release({ id: "future", valid_from: "2027-01-01T00:00:00Z", pcr0: h96("3") }),
        release({ id: "past", valid_until: "2026-11-02T00:00:00Z", pcr0: h96("4") }),
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

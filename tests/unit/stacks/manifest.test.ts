import { generateKeyPairSync, type JsonWebKey, sign } from "node:crypto";
import { activeReleases, currentRelease, parseManifest } from "../../../stacks/inputs/manifest";

const hex = (c: string) => c.repeat(96);

function signed(payload: unknown, alg = "ES256") {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const b64 = (s: string) => Buffer.from(s).toString("base64url");
  const protectedHeader = b64(JSON.stringify({ alg, kid: "k1" }));
  const body = b64(JSON.stringify(payload));
  const signature = sign("sha256", Buffer.from(`${protectedHeader}.${body}`), {
    key: privateKey,
    dsaEncoding: "ieee-p1363",
  });
  const text = JSON.stringify({
    protected: protectedHeader,
    payload: body,
    signature: signature.toString("base64url"),
  });
  return { text, jwk: publicKey.export({ format: "jwk" }) as JsonWebKey };
}

const release = (id: string, pcr: string, status: string, validFrom: string, validUntil: string | null) => ({
  id,
  pcr0: hex(pcr),
  pcr1: hex(pcr),
  pcr2: hex(pcr),
  status,
  valid_from: validFrom,
  valid_until: validUntil,
  build: { commit: "abc", bundle_sha384: hex("f") },
});

const payload = {
  schema: "vettid.pcr-manifest/v1",
  serial: 7,
  issued_at: "2026-11-28T00:00:00Z",
  releases: [
    release("old", "1", "deprecated", "2026-01-01T00:00:00Z", null),
    release("r1", "2", "active", "2026-06-01T00:00:00Z", null),
    release("r2", "3", "active", "2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z"),
    release("expired", "4", "active", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
    release("future", "5", "active", "2026-12-01T00:00:00Z", null),
  ],
};

describe("stacks manifest input", () => {
  it("verifies the signature and keeps approved releases not expired at issued_at", () => {
    // Prepare
    const { text, jwk } = signed(payload);
    // Act
    const manifest = parseManifest(text, jwk);
    // Assess
    expect(manifest.serial).toBe(7);
    expect(manifest.text).toBe(text);
    expect(activeReleases(manifest).map((r) => r.id)).toEqual(["old", "r1", "r2", "future"]);
    expect(currentRelease(manifest).id).toBe("r2");
  });

  it("keeps the verifying key's public members for the hosts, and refuses a private key", () => {
    // Prepare
    const { text, jwk } = signed(payload);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const privateJwk = privateKey.export({ format: "jwk" }) as JsonWebKey;
    // Act
    const manifest = parseManifest(text, { ...jwk, kid: "k1", alg: "ES256", ext: true });
    // Assess
    expect(manifest.publicKey).toEqual({ kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, kid: "k1", alg: "ES256" });
    expect(() => parseManifest(text, privateJwk)).toThrow("a private key was given");
  });

  it("refuses a manifest signed by another key", () => {
    const { text } = signed(payload);
    const { jwk: other } = signed(payload);
    expect(() => parseManifest(text, other)).toThrow("signature does not verify");
  });

  it("refuses a tampered payload", () => {
    const { text, jwk } = signed(payload);
    const jws = JSON.parse(text);
    jws.payload = Buffer.from(JSON.stringify({ ...payload, serial: 8 })).toString("base64url");
    expect(() => parseManifest(JSON.stringify(jws), jwk)).toThrow("signature does not verify");
  });

  it("refuses another algorithm, a bad PCR and a bad status", () => {
    const alg = signed(payload, "none");
    expect(() => parseManifest(alg.text, alg.jwk)).toThrow("alg must be ES256");
    const badPcr = signed({
      ...payload,
      releases: [{ ...release("x", "a", "active", "2026-01-01T00:00:00Z", null), pcr0: "ab" }],
    });
    expect(() => parseManifest(badPcr.text, badPcr.jwk)).toThrow("pcr0 must be 96 lowercase hex digits");
    const badStatus = signed({ ...payload, releases: [release("x", "a", "approved", "2026-01-01T00:00:00Z", null)] });
    expect(() => parseManifest(badStatus.text, badStatus.jwk)).toThrow("status must be one of");
  });

  it("has no current release when none is active", () => {
    const none = signed({ ...payload, releases: [release("old", "1", "deprecated", "2026-01-01T00:00:00Z", null)] });
    expect(() => currentRelease(parseManifest(none.text, none.jwk))).toThrow("has no active release");
  });
});

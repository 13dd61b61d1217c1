import { createHash, generateKeyPairSync, type JsonWebKey, type KeyObject, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  activeReleases,
  currentRelease,
  parseManifest,
  type ReleaseKeySetJson,
  readManifest,
} from "../../../stacks/inputs/manifest";
import { enclaveStatement } from "../../../stacks/keys";

const hex = (c: string) => c.repeat(96);
const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64url");
const now = new Date("2026-12-10T00:00:00Z");

interface Signer {
  kid: string;
  privateKey: KeyObject;
  jwk: JsonWebKey;
}
function signer(kid: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, privateKey, jwk: { ...(publicKey.export({ format: "jwk" }) as JsonWebKey), kid } };
}
const [a, b, c] = [signer("a"), signer("b"), signer("c")];
const keySet = (owners = ["aws:111111111111", "aws:222222222222", "offline:hsm-1"], keys = [a, b, c]) => ({
  threshold: 2,
  keys: keys.map((k, i) => ({ owner: owners[i]!, jwk: k.jwk })),
});
const SET: ReleaseKeySetJson = keySet();

function signed(payload: unknown, signers: Signer[] = [a, b], alg = "ES256"): string {
  const body = b64(JSON.stringify(payload));
  const signatures = signers.map((s) => {
    const prot = b64(JSON.stringify({ alg, kid: s.kid }));
    const sig = sign("sha256", Buffer.from(`${prot}.${body}`), { key: s.privateKey, dsaEncoding: "ieee-p1363" });
    return { protected: prot, signature: b64(sig) };
  });
  return JSON.stringify({ payload: body, signatures });
}
const digest = (text: string) =>
  createHash("sha384")
    .update(Buffer.from(JSON.parse(text).payload, "base64url"))
    .digest("hex");

const release = (id: string, pcr: string, status: string, activates: string, validUntil: string | null = null) => ({
  id,
  pcr0: hex(pcr),
  pcr1: hex(pcr),
  pcr2: hex(pcr),
  status,
  approved_at: "2026-11-01T00:00:00Z",
  activates_at: activates,
  valid_until: validUntil,
  build: { commit: "abc", bundle_sha384: hex("f") },
});

const payload = (overrides: Record<string, unknown> = {}) => ({
  schema: "vettid.pcr-manifest/v2",
  serial: 1,
  previous: null,
  issued_at: "2026-11-28T00:00:00Z",
  expires_at: "2027-02-26T00:00:00Z",
  keys: SET,
  releases: [
    release("old", "1", "deprecated", "2026-11-08T00:00:00Z"),
    release("r1", "2", "active", "2026-11-08T00:00:00Z"),
    release("r2", "3", "active", "2026-11-20T00:00:00Z", "2027-01-01T00:00:00Z"),
    release("expired", "4", "active", "2026-11-08T00:00:00Z", "2026-11-10T00:00:00Z"),
    release("future", "5", "active", "2026-12-05T00:00:00Z"),
  ],
  ...overrides,
});

describe("stacks manifest input", () => {
  it("verifies M signatures of distinct owners and keeps approved releases not expired at issued_at", () => {
    const text = signed(payload());
    const manifest = parseManifest(text, SET, { now });
    expect(manifest.serial).toBe(1);
    expect(manifest.text).toBe(text);
    expect(manifest.digest).toBe(digest(text));
    expect(manifest.expiresAt).toBe("2027-02-26T00:00:00Z");
    expect(manifest.keySet).toEqual(SET);
    expect(activeReleases(manifest).map((r) => r.id)).toEqual(["old", "r1", "r2", "future"]);
    expect(currentRelease(manifest).id).toBe("r2");
  });

  describe("refuses what release governance refuses", () => {
    it("a manifest signed by fewer than M keys, or by M keys of one owner", () => {
      expect(() => parseManifest(signed(payload(), [a]), SET, { now })).toThrow("1 distinct owner(s)");
      expect(() => parseManifest(signed(payload(), [a, a]), SET, { now })).toThrow("1 distinct owner(s)");
      const oneAccount = keySet(["aws:111111111111", "aws:111111111111", "offline:hsm-1"]);
      expect(() => parseManifest(signed(payload({ keys: oneAccount })), oneAccount, { now })).toThrow(
        "1 distinct owner(s)",
      );
      const weak = { threshold: 1, keys: [{ owner: "aws:111111111111", jwk: a.jwk }] };
      expect(() => parseManifest(signed(payload({ keys: weak }), [a]), weak, { now })).toThrow("at least 2");
    });

    it("a manifest that does not extend the previous one", () => {
      const first = signed(payload());
      const fork = signed(payload({ serial: 2, previous: hex("0"), issued_at: "2026-11-29T00:00:00Z" }));
      expect(() => parseManifest(fork, SET, { now, previous: first })).toThrow("does not extend");
      const skip = signed(payload({ serial: 3, previous: digest(first), issued_at: "2026-11-29T00:00:00Z" }));
      expect(() => parseManifest(skip, SET, { now, previous: first })).toThrow("does not extend");
      const next = signed(payload({ serial: 2, previous: digest(first), issued_at: "2026-11-29T00:00:00Z" }));
      expect(parseManifest(next, SET, { now, previous: first }).serial).toBe(2);
      const rewritten = payload({ serial: 2, previous: digest(first), issued_at: "2026-11-29T00:00:00Z" });
      (rewritten.releases as { activates_at: string }[])[0]!.activates_at = "2026-11-09T00:00:00Z";
      expect(() => parseManifest(signed(rewritten), SET, { now, previous: first })).toThrow("rewrites release old");
    });

    it("a manifest whose release is inside its activation delay", () => {
      const early = payload({ releases: [release("r", "2", "active", "2026-11-03T00:00:00Z")] });
      expect(() => parseManifest(signed(early), SET, { now })).toThrow("activation delay");
    });

    it("an expired manifest", () => {
      expect(() => parseManifest(signed(payload()), SET, { now: new Date("2027-02-26T00:00:00Z") })).toThrow("expired");
    });

    it("a key set rotation not signed by M of the previous set and M of the new one", () => {
      const [d, e] = [signer("d"), signer("e")];
      const next = keySet(["aws:333333333333", "aws:444444444444"], [d, e]);
      const first = signed(payload());
      const rotation = payload({ serial: 2, previous: digest(first), issued_at: "2026-11-29T00:00:00Z", keys: next });
      expect(() => parseManifest(signed(rotation, [d, e]), SET, { now, previous: first })).toThrow("distinct owner");
      expect(() => parseManifest(signed(rotation, [a, b]), SET, { now, previous: first })).toThrow("distinct owner");
      expect(parseManifest(signed(rotation, [a, b, d, e]), SET, { now, previous: first }).keySet).toEqual(next);
    });
  });

  it("reads the history beside the manifest and verifies the chain from the pinned key set", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-manifest-"));
    mkdirSync(join(dir, "manifests"));
    const first = signed(payload());
    const second = signed(payload({ serial: 2, previous: digest(first), issued_at: "2026-11-29T00:00:00Z" }));
    writeFileSync(join(dir, "manifests", "00000001.json"), first);
    writeFileSync(join(dir, "keys.json"), JSON.stringify(SET));
    writeFileSync(join(dir, "pcr-manifest.json"), second);
    const manifest = readManifest(join(dir, "pcr-manifest.json"), join(dir, "keys.json"), { now });
    expect(manifest.serial).toBe(2);
    expect(manifest.history).toEqual([{ serial: 1, text: first }]);
    const fork = signed(payload({ serial: 2, previous: hex("1"), issued_at: "2026-11-29T00:00:00Z" }));
    writeFileSync(join(dir, "pcr-manifest.json"), fork);
    expect(() => readManifest(join(dir, "pcr-manifest.json"), join(dir, "keys.json"), { now })).toThrow(
      "does not extend",
    );
  });

  it("refuses a tampered payload, another algorithm, a private key, a bad PCR and a bad status", () => {
    const jws = JSON.parse(signed(payload()));
    jws.payload = b64(JSON.stringify(payload({ expires_at: "2027-03-26T00:00:00Z" })));
    expect(() => parseManifest(JSON.stringify(jws), SET, { now })).toThrow("does not verify");
    expect(() => parseManifest(signed(payload(), [a, b], "none"), SET, { now })).toThrow("alg must be ES256");
    const priv = { threshold: 2, keys: [{ owner: "x", jwk: { ...a.jwk, d: "x" } }, SET.keys[1]!] };
    expect(() => parseManifest(signed(payload()), priv, { now })).toThrow("a private key was given");
    const badPcr = payload({ releases: [{ ...release("x", "a", "active", "2026-11-08T00:00:00Z"), pcr0: "ab" }] });
    expect(() => parseManifest(signed(badPcr), SET, { now })).toThrow("pcr0 must be 96 lowercase hex digits");
    const badStatus = payload({ releases: [release("x", "a", "approved", "2026-11-08T00:00:00Z")] });
    expect(() => parseManifest(signed(badStatus), SET, { now })).toThrow("status must be one of");
    expect(() => parseManifest(signed({ ...payload(), schema: "vettid.pcr-manifest/v1" }), SET, { now })).toThrow(
      "schema must be vettid.pcr-manifest/v2",
    );
  });

  it("has no current release when none is active", () => {
    const none = signed(payload({ releases: [release("old", "1", "deprecated", "2026-11-08T00:00:00Z")] }));
    expect(() => currentRelease(parseManifest(none, SET, { now }))).toThrow("has no active release");
  });

  it("opens each release's key policy statement at activates_at and closes it at expiry", () => {
    const manifest = parseManifest(signed(payload()), SET, { now });
    const [, , r2, , future] = manifest.releases;
    expect(enclaveStatement("arn:aws:iam::1:role/host", future!, manifest.expiresAt).Condition).toMatchObject({
      DateGreaterThan: { "aws:CurrentTime": "2026-12-05T00:00:00Z" },
      DateLessThan: { "aws:CurrentTime": "2027-02-26T00:00:00Z" },
    });
    expect(enclaveStatement("arn:aws:iam::1:role/host", r2!, manifest.expiresAt).Condition).toMatchObject({
      DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" },
    });
  });
});

import fc from "fast-check";
import { isVettidError } from "../../../lib/errors";
import {
  cosignManifest,
  ManifestSchema,
  parseManifestEnvelope,
  parseReleaseKeySet,
  signManifest,
  verifyManifest,
} from "../../../lib/manifest";
import { manifest, now, type ReleaseKeys, release, releaseKeys } from "./fixtures";

const hex96 = fc.uint8Array({ minLength: 48, maxLength: 48 }).map((b) => Buffer.from(b).toString("hex"));
const DAY = 86_400_000;
const validRelease = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
    pcr0: hex96,
    pcr1: hex96,
    pcr2: hex96,
    status: fc.constantFrom("active", "deprecated", "retired"),
    approvedDaysBefore: fc.integer({ min: 0, max: 400 }),
    delayDays: fc.integer({ min: 7, max: 60 }),
    validDays: fc.option(fc.integer({ min: 1, max: 400 }), { nil: null }),
    build: fc.record({ commit: fc.stringMatching(/^[0-9a-f]{40}$/), bundle_sha384: hex96 }),
  })
  .map(({ approvedDaysBefore, delayDays, validDays, ...r }) => {
    const approved = Date.parse("2026-11-28T00:00:00Z") - approvedDaysBefore * DAY;
    const activates = approved + delayDays * DAY;
    return {
      ...r,
      approved_at: new Date(approved).toISOString(),
      activates_at: new Date(activates).toISOString(),
      valid_until: validDays === null ? null : new Date(activates + validDays * DAY).toISOString(),
    };
  });

const ENVELOPE_MEMBERS = ["payload", "signatures", "protected", "signature"];
const PAYLOAD_MEMBERS = [
  ...["schema", "serial", "previous", "issued_at", "expires_at", "keys", "releases", "threshold", "owner", "jwk"],
  ...["id", "pcr0", "pcr1", "pcr2", "status", "approved_at", "activates_at", "valid_until", "build"],
  ...["commit", "bundle_sha384", "eif_sha384", "kty", "crv", "x", "y", "kid", "alg", "use"],
];

describe("manifest parser (properties)", () => {
  let k: ReleaseKeys;
  beforeAll(async () => {
    k = await releaseKeys();
  });

  it("accepts every well-formed manifest and round-trips it through sign, cosign and verify", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(validRelease, { minLength: 1, maxLength: 4 }),
        fc.constantFrom([k.a, k.b], [k.b, k.c], [k.c, k.a]),
        async (releases, [first, second]) => {
          const unique = releases.map((r, i) => ({ ...r, id: `${r.id}-${i}` }));
          const m = manifest(k.set, { releases: unique });
          const text = await cosignManifest(await signManifest(m, first!.privateKey), second!.privateKey);
          const back = await verifyManifest(text, { keys: k.set, minSerial: 1, now });
          expect(back).toEqual(m);
          return true;
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects any extra key added anywhere in the payload", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.jsonValue(),
        fc.nat({ max: 4 }),
        (key, value, where) => {
          fc.pre(!PAYLOAD_MEMBERS.includes(key));
          const base = manifest(k.set) as unknown as Record<string, unknown>;
          const r = release() as unknown as Record<string, unknown>;
          const targets = [
            () => ({ ...base, [key]: value }),
            () => ({ ...base, releases: [{ ...r, [key]: value }] }),
            () => ({ ...base, releases: [{ ...r, build: { ...(r.build as object), [key]: value } }] }),
            () => ({ ...base, keys: { ...k.set, [key]: value } }),
            () => ({
              ...base,
              keys: { ...k.set, keys: [{ ...k.set.keys[0], jwk: { ...k.set.keys[0]!.jwk, [key]: value } }] },
            }),
          ];
          return !ManifestSchema.safeParse(targets[where]!()).success;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("rejects arbitrary JSON and arbitrary text with a typed error, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (text) => {
        try {
          await verifyManifest(text, { keys: k.set, now });
          return false;
        } catch (err) {
          return isVettidError(err) && err.code === "MANIFEST_INVALID";
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects envelopes with arbitrary members, headers and signature lists with a typed error", async () => {
    const text = await signManifest(manifest(k.set), [k.a.privateKey, k.b.privateKey]);
    const good = JSON.parse(text) as { payload: string; signatures: Record<string, unknown>[] };
    const header = fc
      .dictionary(fc.constantFrom("alg", "kid", "typ", "crit", "jwk", "b64"), fc.jsonValue(), { maxKeys: 4 })
      .map((h) => Buffer.from(JSON.stringify(h)).toString("base64url"));
    const entry = fc.oneof(
      fc.jsonValue(),
      fc.record({
        protected: fc.oneof(header, fc.string()),
        signature: fc.oneof(fc.string(), fc.constant(good.signatures[0]!.signature)),
      }),
      fc.record({ protected: header, signature: fc.string(), header: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(entry, { maxLength: 40 }).map((signatures) => ({ ...good, signatures })),
          fc.dictionary(fc.constantFrom(...ENVELOPE_MEMBERS, "header", "x"), fc.jsonValue()),
        ),
        async (envelope) => {
          try {
            await verifyManifest(JSON.stringify(envelope), { keys: k.set, now });
            return false;
          } catch (err) {
            return isVettidError(err) && ["MANIFEST_INVALID", "MANIFEST_THRESHOLD"].includes(err.code);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(() => parseManifestEnvelope(text)).not.toThrow();
  });

  it("rejects arbitrary key sets with a typed error, never a crash", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => ({ threshold: 2, keys: [v] })),
        ),
        (value) => {
          try {
            parseReleaseKeySet(value as string);
            return false;
          } catch (err) {
            return isVettidError(err) && err.code === "MANIFEST_INVALID";
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

import fc from "fast-check";
import { isVettidError } from "../../../lib/errors";
import { generateManifestKeyPair, ManifestSchema, signManifest, verifyManifest } from "../../../lib/manifest";
import { manifest, release } from "./fixtures";

const hex96 = fc.uint8Array({ minLength: 48, maxLength: 48 }).map((b) => Buffer.from(b).toString("hex"));
const date = fc
  .date({ min: new Date("2020-01-01T00:00:01Z"), max: new Date("2040-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const validRelease = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
  pcr0: hex96,
  pcr1: hex96,
  pcr2: hex96,
  status: fc.constantFrom("active", "deprecated", "retired"),
  valid_from: fc.constant("2020-01-01T00:00:00.000Z"),
  valid_until: fc.option(date, { nil: null }),
  build: fc.record({ commit: fc.stringMatching(/^[0-9a-f]{40}$/), bundle_sha384: hex96 }),
});

describe("manifest parser (properties)", () => {
  it("accepts every well-formed manifest and round-trips it through sign/verify", async () => {
    const keys = await generateManifestKeyPair();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.array(validRelease, { minLength: 1, maxLength: 4 }),
        async (serial, releases) => {
          const unique = releases.map((r, i) => ({ ...r, id: `${r.id}-${i}` }));
          const m = manifest({ serial, releases: unique });
          const text = await signManifest(m, keys.privateKey);
          const back = await verifyManifest(text, {
            publicKey: keys.publicKey,
            minSerial: serial,
            now: new Date("2030-01-01"),
          });
          return JSON.stringify(back) === JSON.stringify(m);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects any extra key added anywhere", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.jsonValue(),
        fc.nat({ max: 2 }),
        (key, value, where) => {
          const base = manifest() as unknown as Record<string, unknown>;
          fc.pre(
            ![
              "schema",
              "serial",
              "issued_at",
              "releases",
              "id",
              "pcr0",
              "pcr1",
              "pcr2",
              "status",
              "valid_from",
              "valid_until",
              "build",
              "commit",
              "bundle_sha384",
              "eif_sha384",
            ].includes(key),
          );
          const r = release() as unknown as Record<string, unknown>;
          const target =
            where === 0
              ? { ...base, [key]: value }
              : where === 1
                ? { ...base, releases: [{ ...r, [key]: value }] }
                : { ...base, releases: [{ ...r, build: { ...(r.build as object), [key]: value } }] };
          return !ManifestSchema.safeParse(target).success;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("rejects arbitrary JSON and arbitrary text with a typed error, never a crash", async () => {
    const keys = await generateManifestKeyPair();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (text) => {
        try {
          await verifyManifest(text, { publicKey: keys.publicKey });
          return false;
        } catch (err) {
          return isVettidError(err) && err.code === "MANIFEST_INVALID";
        }
      }),
      { numRuns: 1000 },
    );
  });
});

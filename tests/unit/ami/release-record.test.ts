import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDescribeEif, releaseRecord } from "../../../ami/release-record";
import { ReleaseSchema } from "../../../lib/manifest";

const sample = JSON.parse(readFileSync(join(__dirname, "fixtures", "describe-eif.json"), "utf8"));
const commit = "65be25c0000000000000000000000000000000ab";
const bundle = "b".repeat(96);

describe("release record from nitro-cli describe-eif", () => {
  it("turns the sample output into a record the manifest schema accepts", () => {
    // Act
    const record = releaseRecord({
      describeEif: sample,
      commit,
      bundleSha384: bundle,
      approvedAt: "2026-11-28T00:00:00Z",
    });
    // Assess
    expect(record).toEqual({
      id: "2026.11.28-65be25c00000",
      pcr0: sample.Measurements.PCR0.toLowerCase(),
      pcr1: sample.Measurements.PCR1,
      pcr2: sample.Measurements.PCR2,
      status: "active",
      approved_at: "2026-11-28T00:00:00Z",
      activates_at: "2026-12-05T00:00:00Z",
      valid_until: null,
      build: { commit, bundle_sha384: bundle },
    });
    expect(ReleaseSchema.safeParse(record).success).toBe(true);
  });

  it("keeps the EIF digest, id and window when given", () => {
    const record = releaseRecord({
      describeEif: sample,
      commit,
      bundleSha384: bundle,
      eifSha384: "E".repeat(96),
      id: "2026.11.28-1",
      approvedAt: "2026-11-28T00:00:00Z",
      validUntil: "2027-05-28T00:00:00Z",
    });
    expect(record.id).toBe("2026.11.28-1");
    expect(record.valid_until).toBe("2027-05-28T00:00:00Z");
    expect(record.build.eif_sha384).toBe("e".repeat(96));
  });

  it.each([
    [
      "another hash algorithm",
      { ...sample, Measurements: { ...sample.Measurements, HashAlgorithm: "Sha256 { ... }" } },
      "Sha384",
    ],
    [
      "a short PCR",
      { ...sample, Measurements: { ...sample.Measurements, PCR1: "abcd" } },
      "PCR1 must be 96 hex digits",
    ],
    ["a failed CRC", { ...sample, CheckCRC: false }, "CRC"],
    ["a bad signature", { ...sample, IsSigned: true, SignatureCheck: false }, "signature does not verify"],
    ["no measurements", { EifVersion: 4 }, "no Measurements"],
  ])("refuses %s", (_what, describeEif, message) => {
    expect(() => parseDescribeEif(describeEif)).toThrow(message);
  });

  it("refuses a record the manifest schema would reject", () => {
    expect(() =>
      releaseRecord({ describeEif: sample, commit: "abc", bundleSha384: bundle, approvedAt: "2026-11-28T00:00:00Z" }),
    ).toThrow("build.commit must be a full git commit id");
  });
});

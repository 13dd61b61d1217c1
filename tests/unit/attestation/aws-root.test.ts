import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from "../../../lib/attestation";

const PIN = "641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B";

describe("pinned AWS Nitro root", () => {
  it("embeds exactly the committed PEM, which is the shared fixture", () => {
    // Prepare
    const committed = readFileSync(
      join(__dirname, "../../../lib/attestation/roots/aws-nitro-enclaves-root-g1.pem"),
      "utf8",
    );
    // Assess
    expect(AWS_NITRO_ROOT_PEM.trim()).toBe(committed.trim());
  });

  it("hashes to the pin of DESIGN.md §3.3 (SHA-256 of the DER)", () => {
    // Act
    const der = new X509Certificate(AWS_NITRO_ROOT_PEM).raw;
    // Assess
    expect(createHash("sha256").update(der).digest("hex").toUpperCase()).toBe(PIN);
    expect(AWS_NITRO_ROOT_SHA256.toUpperCase()).toBe(PIN);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeManifest, manifestDigest, signManifest, verifyManifest } from "../../../lib/manifest";
import { prepareDevAttestation } from "../../../local/launcher/attestation";

describe("the launcher's dev manifest log", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-dev-att-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("signs serial 1 with two dev keys, keeps it across starts, and extends it once it no longer fits", async () => {
    // Act
    const first = await prepareDevAttestation(dir);
    const again = await prepareDevAttestation(dir);
    // Assess: a 2-of-2 manifest the pinned key set file verifies, reused as is
    const keys = readFileSync(first.files.manifestKey, "utf8");
    await expect(verifyManifest(first.manifestText, { keys, activationDelayMs: 0 })).resolves.toMatchObject({
      serial: 1,
      keys: { threshold: 2 },
    });
    expect(again.manifestText).toBe(first.manifestText);

    // Prepare: a manifest that approves other PCRs (as after a runtime change)
    const other = decodeManifest(first.manifestText).manifest;
    const changed = await signManifest(
      { ...other, releases: other.releases.map((r) => ({ ...r, pcr0: "0".repeat(96) })) },
      first.releaseKeys.privateKeys,
    );
    writeFileSync(first.files.manifest, changed);
    // Act
    const next = await prepareDevAttestation(dir);
    // Assess: the next serial of the log, extending the one on disk
    await expect(
      verifyManifest(next.manifestText, { keys, previous: changed, activationDelayMs: 0 }),
    ).resolves.toMatchObject({
      serial: 2,
      previous: manifestDigest(changed),
    });
  });
});

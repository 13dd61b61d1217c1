import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../client/cli/main";
import { type Manifest, manifestDigest, signManifest } from "../../../lib/manifest";
import { manifest, type ReleaseKeys, release, releaseKeys } from "../manifest/fixtures";
import { captureIo } from "./capture-io";

/** `bin/vettid verify-manifest` refuses what release governance refuses (decision 0067). */
describe("bin/vettid verify-manifest and release governance", () => {
  let dir: string;
  let k: ReleaseKeys;
  let keySet: string;
  let first: string;
  const time = "2026-12-10T00:00:00Z";

  async function run(...argv: string[]) {
    const io = captureIo();
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  }
  async function file(name: string, m: Manifest, signers = [k.a.privateKey, k.b.privateKey]): Promise<string> {
    const path = join(dir, name);
    writeFileSync(path, await signManifest(m, signers));
    return path;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vettid-governance-"));
    k = await releaseKeys();
    keySet = join(dir, "keys.json");
    writeFileSync(keySet, JSON.stringify(k.set));
    first = await file("first.json", manifest(k.set));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts a governed manifest and reports its signers, chain and times", async () => {
    const r = await run("verify-manifest", first, "--key", keySet, "--time", time, "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({
      valid: true,
      serial: 1,
      previous: null,
      expiresAt: "2027-02-26T00:00:00Z",
      threshold: 2,
      signers: [
        { kid: k.a.kid, owner: "aws:111111111111" },
        { kid: k.b.kid, owner: "aws:222222222222" },
      ],
    });
    expect(report.digest).toMatch(/^[0-9a-f]{96}$/);
    expect(report.releases[0]).toMatchObject({ activates_at: "2026-12-05T00:00:00Z", approved: true });
  });

  it("refuses a manifest signed by fewer than M keys", async () => {
    const lone = await file("lone.json", manifest(k.set), [k.a.privateKey]);
    const r = await run("verify-manifest", lone, "--key", keySet, "--time", time);
    expect(r.code).toBe(1);
    expect(r.err).toContain("MANIFEST_THRESHOLD");
  });

  it("refuses a manifest that does not extend the previous one", async () => {
    const fork = await file(
      "fork.json",
      manifest(k.set, { serial: 2, previous: "0".repeat(96), issued_at: "2026-11-29T00:00:00Z" }),
    );
    const r = await run("verify-manifest", fork, "--key", keySet, "--previous", first, "--time", time, "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).errors[0].code).toBe("MANIFEST_FORK");
    const next = await file(
      "next.json",
      manifest(k.set, {
        serial: 2,
        previous: manifestDigest(readFileSync(first, "utf8")),
        issued_at: "2026-11-29T00:00:00Z",
      }),
    );
    expect((await run("verify-manifest", next, "--key", keySet, "--previous", first, "--time", time)).code).toBe(0);
  });

  it("refuses a release inside its activation delay", async () => {
    const early = await file(
      "early.json",
      manifest(k.set, { releases: [release({ activates_at: "2026-11-30T00:00:00Z" })] }),
    );
    const r = await run("verify-manifest", early, "--key", keySet, "--time", time);
    expect(r.code).toBe(1);
    expect(r.err).toContain("MANIFEST_ACTIVATION_DELAY");
  });

  it("refuses an expired manifest", async () => {
    const r = await run("verify-manifest", first, "--key", keySet, "--time", "2027-02-26T00:00:00Z");
    expect(r.code).toBe(1);
    expect(r.err).toContain("MANIFEST_EXPIRED");
  });

  it("refuses usage errors with exit 2", async () => {
    expect((await run("verify-manifest", first, "--key", keySet, "--time", "soon")).code).toBe(2);
    expect((await run("verify-manifest", first, "--key", keySet, "--activation-delay-hours", "-1")).code).toBe(2);
  });
});

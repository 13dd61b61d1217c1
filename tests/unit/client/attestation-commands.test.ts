import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../client/cli/main";
import { createSimulatedNsm, simulatedPcrs } from "../../../local/nsm-sim";
import { captureIo } from "./capture-io";

const ROOT = join(__dirname, "..", "..", "..");
const FIXTURE = join(ROOT, "tests", "fixtures", "attestation", "cape-js-2022-09-15.b64");
const FIXTURE_TIME = "2022-09-15T17:44:00Z";

const capture = () => captureIo();

async function run(...argv: string[]) {
  const io = capture();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

describe("bin/vettid attestation and manifest commands", () => {
  let dir: string;
  let docFile: string;
  let rootFile: string;
  const runtimeDigest = new Uint8Array(48).fill(1);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vettid-att-cli-"));
    const nsm = await createSimulatedNsm({ dev: true, runtimeDigest });
    docFile = join(dir, "doc.cbor");
    rootFile = join(dir, "root.pem");
    writeFileSync(docFile, await nsm.attest({ nonce: Uint8Array.of(0xab, 0xcd) }));
    writeFileSync(rootFile, nsm.rootCertificatePem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe("verify-attestation", () => {
    it("accepts a genuine AWS document in base64, hex, unpadded/url base64 and binary form", async () => {
      const b64 = readFileSync(FIXTURE, "utf8").trim();
      const bytes = Buffer.from(b64, "base64");
      const forms: [string, string | Buffer][] = [
        ["b64", b64],
        ["hex", bytes.toString("hex")],
        ["url", bytes.toString("base64url")],
        ["bin", bytes],
      ];
      for (const [name, content] of forms) {
        const file = join(dir, `genuine.${name}`);
        writeFileSync(file, content);
        const r = await run("verify-attestation", file, "--time", FIXTURE_TIME, "--json");
        expect(r.code).toBe(0);
        const json = JSON.parse(r.out);
        expect(json).toMatchObject({
          valid: true,
          moduleId: "i-0697c9729fa547b20-enc0183422ede9a5dc8",
          digest: "SHA384",
          errors: [],
        });
        expect(json.pcrs["0"]).toMatch(/^ea4212ee/);
        expect(Object.keys(json)).toEqual([
          "valid",
          "moduleId",
          "timestamp",
          "digest",
          "pcrs",
          "publicKey",
          "userData",
          "nonce",
          "errors",
        ]);
      }
    });

    it("rejects the genuine document today (expired certificates) with exit 1 and the reason", async () => {
      const r = await run("verify-attestation", FIXTURE, "--json");
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out)).toMatchObject({
        valid: false,
        errors: [{ code: "ATTESTATION_STALE", reason: "validity" }],
      });
    });

    it("prints the PCRs of a simulated document with --root of the dev root, and rejects it without", async () => {
      const ok = await run("verify-attestation", docFile, "--root", rootFile, "--nonce", "abcd");
      expect(ok.code).toBe(0);
      expect(ok.out).toContain(`PCR0: ${Buffer.from(simulatedPcrs(runtimeDigest)[0]!).toString("hex")}`);
      const no = await run("verify-attestation", docFile);
      expect(no.code).toBe(1);
      expect(no.err).toContain("ATTESTATION_UNTRUSTED");
      const nonce = await run("verify-attestation", docFile, "--root", rootFile, "--nonce", "0000");
      expect(nonce.code).toBe(1);
    });

    it("exits 2 on usage errors", async () => {
      for (const argv of [
        [],
        [docFile, "--time", "yesterday"],
        [docFile, "--nonce", "xyz"],
        [docFile, "--manifest", docFile],
        [docFile, "--bogus"],
        [join(dir, "missing")],
        [docFile, "--root", docFile],
      ]) {
        expect((await run("verify-attestation", ...argv)).code).toBe(2);
      }
    });
  });

  describe("manifest keygen / keyset / build / sign and verify-manifest", () => {
    it("build a 2-of-2 signed manifest that verify-manifest and verify-attestation --manifest accept", async () => {
      const [privA, pubA, privB, pubB] = ["a.private", "a.public", "b.private", "b.public"].map((n) =>
        join(dir, `${n}.jwk`),
      ) as [string, string, string, string];
      expect((await run("manifest", "keygen", "--private", privA, "--public", pubA)).code).toBe(0);
      expect((await run("manifest", "keygen", "--private", privA, "--public", pubA)).code).toBe(2);
      expect((await run("manifest", "keygen", "--private", privB, "--public", pubB)).code).toBe(0);
      const keys = join(dir, "keys.json");
      const keyset = await run(
        "manifest",
        "keyset",
        "--threshold",
        "2",
        "--key",
        `aws:111111111111=${pubA}`,
        "--key",
        `aws:222222222222=${pubB}`,
        "--out",
        keys,
      );
      expect(keyset.code).toBe(0);
      const pcrs = simulatedPcrs(runtimeDigest);
      const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
      const record = {
        id: "2026.11.28-1",
        pcr0: hex(pcrs[0]!),
        pcr1: hex(pcrs[1]!),
        pcr2: hex(pcrs[2]!),
        status: "active",
        approved_at: "2020-01-01T00:00:00Z",
        activates_at: "2020-01-08T00:00:00Z",
        valid_until: null,
        build: { commit: "f".repeat(40), bundle_sha384: hex(runtimeDigest) },
      };
      const releases = join(dir, "releases.json");
      writeFileSync(releases, JSON.stringify([record]));
      const manifestFile = join(dir, "manifest.json");
      const built = await run(
        "manifest",
        "build",
        "--releases",
        releases,
        "--keys",
        keys,
        "--key",
        privA,
        "--out",
        manifestFile,
      );
      expect(built.code).toBe(0);
      const lone = await run("verify-manifest", manifestFile, "--key", keys);
      expect(lone.code).toBe(1);
      expect(lone.err).toContain("MANIFEST_THRESHOLD");
      expect((await run("manifest", "sign", manifestFile, "--key", privB, "--out", manifestFile)).code).toBe(0);
      expect((await run("manifest", "sign", manifestFile, "--key", privB)).code).toBe(1);

      const verified = await run("verify-manifest", manifestFile, "--key", keys, "--min-serial", "1", "--json");
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.out)).toMatchObject({ valid: true, serial: 1 });
      const rollback = await run("verify-manifest", manifestFile, "--key", keys, "--min-serial", "2");
      expect(rollback.code).toBe(1);
      expect(rollback.err).toContain("MANIFEST_ROLLBACK");
      expect((await run("verify-manifest", manifestFile)).code).toBe(2);

      const att = await run(
        "verify-attestation",
        docFile,
        "--root",
        rootFile,
        "--manifest",
        manifestFile,
        "--manifest-key",
        keys,
      );
      expect(att.code).toBe(0);

      const nextFile = join(dir, "manifest-2.json");
      writeFileSync(releases, JSON.stringify([{ ...record, status: "retired" }]));
      const next = await run(
        "manifest",
        "build",
        "--releases",
        releases,
        "--previous",
        manifestFile,
        "--key",
        privA,
        "--key",
        privB,
        "--out",
        nextFile,
      );
      expect(next.code).toBe(0);
      expect((await run("verify-manifest", nextFile, "--key", keys, "--previous", manifestFile)).code).toBe(0);
      const notApproved = await run(
        "verify-attestation",
        docFile,
        "--root",
        rootFile,
        "--manifest",
        nextFile,
        "--manifest-key",
        keys,
        "--json",
      );
      expect(notApproved.code).toBe(1);
      expect(JSON.parse(notApproved.out).errors[0].code).toBe("PCR_NOT_APPROVED");

      const again = await run(
        "manifest",
        "build",
        "--releases",
        releases,
        "--serial",
        "1",
        "--key",
        privA,
        "--previous",
        manifestFile,
      );
      expect(again.code).toBe(1);
      expect(again.err).toContain("MANIFEST_ROLLBACK");

      writeFileSync(releases, JSON.stringify([{ ...record, extra: true }]));
      expect((await run("manifest", "build", "--releases", releases, "--keys", keys, "--key", privA)).code).toBe(1);
      expect((await run("manifest", "build", "--releases", releases, "--key", privA)).code).toBe(2);
      expect((await run("manifest")).code).toBe(2);
      expect((await run("manifest", "publish")).code).toBe(2);
    });
  });

  describe("through the real bin/vettid process", () => {
    it("a simulated document from local/nsm-sim/cli.ts passes with --root and fails without", () => {
      const doc = join(dir, "proc-doc.b64");
      const root = join(dir, "proc-root.pem");
      execFileSync("npx", ["tsx", "local/nsm-sim/cli.ts", "--out", doc, "--root-out", root, "--format", "base64"], {
        cwd: ROOT,
        env: { ...process.env, VETTID_ENV: "local" },
        stdio: "pipe",
      });
      const ok = spawnSync(join(ROOT, "bin", "vettid"), ["verify-attestation", doc, "--root", root], {
        cwd: ROOT,
        encoding: "utf8",
      });
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(/^PCR0: [0-9a-f]{96}$/m);
      const bad = spawnSync(join(ROOT, "bin", "vettid"), ["verify-attestation", doc], { cwd: ROOT, encoding: "utf8" });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/^error: ATTESTATION_UNTRUSTED: /m);
      expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
    });
  });
});

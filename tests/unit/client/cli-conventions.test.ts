import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commands } from "../../../client/cli/commands";
import { main } from "../../../client/cli/main";
import { simulatedPcrs } from "../../../local/nsm-sim";
import { captureIo } from "./capture-io";

const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString("hex");

async function run(...argv: string[]) {
  const io = captureIo({ VETTID_ENDPOINTS: "/nonexistent/endpoints.json" });
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

/** Commands that only print their group's usage. */
const GROUPS = ["manifest", "vault"];

describe("bin/vettid conventions for every command", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-conventions-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gives every command a one-line usage with --json", () => {
    for (const command of commands) {
      expect(command.usage).not.toContain("\n");
      expect(command.usage.startsWith(`vettid ${command.name}`)).toBe(true);
      if (!GROUPS.includes(command.name)) expect(`${command.name}: ${command.usage}`).toContain("--json");
    }
  });

  it.each(commands.map((c) => [c.name]))("prints the help of %s for -h, --help and help", async (name) => {
    // Prepare
    const words = name.split(" ");
    const command = commands.find((c) => c.name === name);

    // Act
    const forms = await Promise.all([
      run(...words, "-h"),
      run(...words, "--help"),
      run(...words, "help"),
      run("help", ...words),
    ]);

    // Assess
    for (const form of forms) {
      expect(form.code).toBe(0);
      expect(form.err).toBe("");
      expect(form.out.startsWith(`usage: ${command?.usage}\n`)).toBe(true);
    }
  });

  it("prints the command list for help, -h and --help, and a group's commands for `admin`", async () => {
    // Act
    const [help, short, long, admin, adminHelp] = await Promise.all([
      run("help"),
      run("-h"),
      run("--help"),
      run("admin"),
      run("admin", "--help"),
    ]);

    // Assess
    for (const r of [help, short, long]) {
      expect(r.code).toBe(0);
      expect(r.out).toContain("vault get");
      expect(r.out).toContain("attest");
    }
    const adminUsage =
      "usage: vettid admin <invite | invitations list | invitations revoke | devices revoke | jetstream> [options]\n";
    expect(admin).toEqual({ code: 2, out: "", err: adminUsage });
    expect(adminHelp).toEqual({ code: 0, out: adminUsage, err: "" });
  });

  it("prints the same usage line after each usage error of a command", async () => {
    // Act
    const errors = await Promise.all([
      run("verify-manifest"),
      run("verify-manifest", "a", "b"),
      run("verify-manifest", "m.json", "--min-serial", "x", "--key", "k"),
    ]);

    // Assess
    const usage = commands.find((c) => c.name === "verify-manifest")?.usage;
    for (const r of errors) {
      expect(r.code).toBe(2);
      expect(r.err.split("\n").slice(1)).toEqual([`usage: ${usage}`, ""]);
    }
  });

  it("prints `manifest keygen` and `manifest build` results as JSON", async () => {
    // Prepare
    const privateKey = join(dir, "release.jwk");
    const publicKey = join(dir, "release.pub.jwk");
    const pcrs = simulatedPcrs(new Uint8Array(48));
    const record = {
      id: "rel-1",
      pcr0: hex(pcrs[0]),
      pcr1: hex(pcrs[1]),
      pcr2: hex(pcrs[2]),
      status: "active",
      approved_at: "2024-01-01T00:00:00Z",
      activates_at: "2024-01-08T00:00:00Z",
      valid_until: null,
      build: { commit: "0".repeat(40), bundle_sha384: "1".repeat(96) },
    };
    const releases = join(dir, "releases.json");
    writeFileSync(releases, JSON.stringify([record]));

    // Act
    const keygen = await run("manifest", "keygen", "--private", privateKey, "--public", publicKey, "--json");
    const out = join(dir, "manifest.json");
    const keySet = join(dir, "keys.json");
    await run("manifest", "keyset", "--threshold", "1", "--key", `offline:test=${publicKey}`, "--out", keySet);
    const build = await run(
      "manifest",
      "build",
      "--releases",
      releases,
      "--keys",
      keySet,
      "--key",
      privateKey,
      "--issued-at",
      "2024-06-01T00:00:00Z",
      "--out",
      out,
      "--json",
    );

    // Assess
    expect(keygen.code).toBe(0);
    expect(JSON.parse(keygen.out)).toEqual({ kid: expect.any(String), private: privateKey, public: publicKey });
    expect(build).toMatchObject({ code: 0, err: "" });
    const built = JSON.parse(build.out);
    expect(built).toMatchObject({
      serial: 1,
      previous: null,
      issuedAt: "2024-06-01T00:00:00Z",
      expiresAt: "2024-08-30T00:00:00Z",
      releases: ["rel-1"],
      out,
    });
    expect(built.manifest).toEqual(JSON.parse(readFileSync(out, "utf8")));
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../client/cli/main";
import { natsError } from "../../../client/cli/nats-connection";
import { vaultCommands } from "../../../client/cli/vault";
import { signManifest } from "../../../lib/manifest";
import { createSimulatedNsm, devManifest, generateDevReleaseKeys } from "../../../local/nsm-sim";
import { captureIo } from "./capture-io";
import { writeDeviceDir } from "./device-dir";

describe("bin/vettid vault: arguments, PINs, trust material and NATS errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-vault-cmd-"));
  const local = join(dir, "local-device");
  const remote = join(dir, "remote-device");
  const files = { root: join(dir, "root.pem"), manifest: join(dir, "manifest.json"), key: join(dir, "key.json") };
  const env = { VETTID_ENDPOINTS: join(dir, "no-endpoints.json") };

  beforeAll(async () => {
    // a device of a local topology whose NATS is not listening, and one of a deployment
    writeDeviceDir(local, { servers: ["nats://127.0.0.1:1"] });
    writeDeviceDir(remote, { api: "https://api.vettid.example", servers: ["tls://nats.vettid.example:4222"] });
    const nsm = await createSimulatedNsm({ dev: true });
    const keys = await generateDevReleaseKeys();
    writeFileSync(files.root, nsm.rootCertificatePem);
    writeFileSync(join(dir, "bad-secret.txt"), "not a secret!\n");
    writeFileSync(files.manifest, await signManifest(devManifest(nsm.pcrs, { keys: keys.set }), keys.privateKeys));
    writeFileSync(files.key, JSON.stringify(keys.set));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(argv: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const io = captureIo({ ...env, ...extraEnv });
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  }

  const usageOf = (word: string) => vaultCommands.find((c) => c.name === `vault ${word}`)?.usage as string;

  it.each([
    [["vault", "get"], "get", /NAME is required/],
    [["vault", "get", "a", "b"], "get", /unexpected argument b/],
    [["vault", "put", "bank", "--state", local], "put", /give the value with --value or --value-file/],
    [
      ["vault", "put", "bank", "--value", "v", "--type", "card"],
      "put",
      /--type must be one of login, secret, note, profile/,
    ],
    [["vault", "sign", "--pin", "482915"], "sign", /--challenge is required/],
    [["vault", "sign", "--challenge", "abc"], "sign", /--challenge must be hex/],
    [["vault", "list", "--bogus"], "list", /Unknown option '--bogus'/],
    [["vault", "list"], "list", /--state DIR is required \(or set VETTID_STATE\)/],
    [["vault", "list", "--state", join(dir, "nobody")], "list", /no enrolled device in .*nobody/],
    [["vault", "list", "--state", local, "--pin", "482915", "--pin-file", "f"], "list", /not both/],
    [["vault", "list", "--state", local], "list", /a PIN is required/],
    [["vault", "get", "x", "--state", local, "--pin", "123"], "get", /at least 6 characters/],
    [
      ["vault", "pin", "--state", local, "--old", "482915"],
      "pin",
      /a PIN is required: --new P, --new-file F or VETTID_NEW_PIN/,
    ],
    [["vault", "approve", "--pin", "482915"], "approve", /--device is required/],
    [["vault", "revoke", "--device", "dev x"], "revoke", /--device must be 1..64 of/],
    [["vault", "pair"], "pair", /--code is required/],
    [["vault", "pair", "--code", "ABCD-EFGH"], "pair", /--code: a pairing code is 68 symbols/],
    [["vault", "add-device", "--state", local], "add-device", /a PIN is required/],
    [["vault", "add-device", "--qr", "--json", "--state", local], "add-device", /--qr prints for a terminal/],
    [["vault", "export", "--pin", "482915"], "export", /--out is required/],
    [["vault", "export", "--out", files.root, "--pin", "482915"], "export", /root\.pem exists; give --force/],
    [["vault", "restore"], "restore", /--in is required/],
    [["vault", "restore", "--in", join(dir, "no-backup")], "restore", /cannot read backup file .*no-backup: ENOENT/],
    [["vault", "restore", "--in", files.root], "restore", /a recovery secret is required: --recovery-secret-file/],
    [
      ["vault", "restore", "--in", files.root, "--recovery-secret-file", join(dir, "bad-secret.txt")],
      "restore",
      /recovery secret: it holds a character outside its alphabet/,
    ],
    [["vault", "cancel-recovery", "--state", local], "cancel-recovery", /a recovery secret is required/],
  ])("%j is a usage error: one error line, then the command's usage line (exit 2)", async (argv, word, message) => {
    // Act
    const result = await run(argv);

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toBe("");
    const lines = result.err.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toBe(`usage: ${usageOf(word)}`);
  });

  it("documents that every command reading or changing the vault takes the PIN", () => {
    for (const word of ["get", "put", "list", "delete", "sign", "unlock"]) {
      expect(usageOf(word)).toContain("[--pin P | --pin-file F]");
    }
    expect(usageOf("pin")).toContain("--old P");
    expect(usageOf("init")).toContain("--pin P");
    for (const word of ["status", "lock"]) expect(usageOf(word)).not.toContain("--pin");
    const help = vaultCommands.find((c) => c.name === "vault get")?.help ?? "";
    expect(help).toContain("An unlock belongs to that session, so it lasts for one command");
  });

  it("prints the group usage for `vault` alone (exit 2) and refuses an unknown vault command", async () => {
    // Act
    const bare = await run(["vault"]);
    const unknown = await run(["vault", "open"]);

    // Assess
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(
      /^usage: vettid vault <init \| unlock \| lock \| pin \| put \| get \| list \| delete \| sign \| status \| audit \| changes \| devices \| add-device \| pair \| approve \| revoke \| register-identity \| export \| restore \| cancel-recovery> /,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^error: unknown vault command "open"\nusage: vettid vault </);
  });

  it("refuses, in one line, a device outside the local topology without a release key", async () => {
    // Act
    const result = await run(["vault", "status", "--state", remote]);

    // Assess
    expect(result).toEqual({
      code: 1,
      out: "",
      err: "error: no release key set built into this client yet; pass --manifest-key\n",
    });
  });

  it("never trusts a dev root (--root) for a device outside the local topology", async () => {
    // Act
    const result = await run([
      "attest",
      "--state",
      remote,
      "--root",
      files.root,
      "--manifest",
      files.manifest,
      "--manifest-key",
      files.key,
    ]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /^error: --root \(a dev root\) is accepted only for a device of a local topology on loopback\n/,
    );
  });

  it("reports an unreachable NATS in one line, with the servers it tried", async () => {
    // Act
    const result = await run(
      [
        "vault",
        "list",
        "--state",
        local,
        "--root",
        files.root,
        "--manifest",
        files.manifest,
        "--manifest-key",
        files.key,
      ],
      { VETTID_PIN: "482915" },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^error: UNAVAILABLE: cannot reach NATS at nats:\/\/127\.0\.0\.1:1: [^\n]+\n$/);
  });

  it("turns expired or refused NATS credentials into a line that says to refresh them", () => {
    // Prepare
    const expired = Object.assign(new Error("User Authentication Expired"), { name: "UserAuthenticationExpiredError" });
    const refused = Object.assign(new Error("Authorization Violation"), { name: "AuthorizationError" });
    const context = { servers: ["nats://n:4222"], dir: "/home/ada/device" };

    // Act
    const [a, b] = [natsError(expired, context), natsError(refused, context)];

    // Assess
    expect(a.code).toBe("UNAUTHENTICATED");
    expect(a.message).toBe(
      "the device's NATS credentials expired; refresh them with: vettid refresh --state /home/ada/device",
    );
    expect(b.code).toBe("UNAUTHENTICATED");
    expect(b.message).toMatch(/^NATS refused the device's credentials \(Authorization Violation\); refresh them with/);
  });

  it("says a revoked device's credentials were revoked, with no refresh hint (a refresh is refused too)", () => {
    const revoked = new Error("User Authentication Revoked");
    const error = natsError(revoked, { servers: ["nats://n:4222"], dir: "/home/ada/device" });
    expect(error.code).toBe("UNAUTHENTICATED");
    expect(error.message).toBe("NATS revoked the device's credentials (User Authentication Revoked)");
  });

  it("refuses init on a device that did not found its vault", async () => {
    // Prepare
    const joined = join(dir, "joined-device");
    const { device } = writeDeviceDir(joined, { servers: ["nats://127.0.0.1:1"] });
    const { vaultSalt: _salt, ...withoutSalt } = device;
    writeFileSync(join(joined, "device.json"), JSON.stringify(withoutSalt));

    // Act
    const result = await run(["vault", "init", "--state", joined, "--pin", "482915"]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      "error: this device did not found its vault (no vaultSalt in device.json); only the founder initializes it\n",
    );
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadVaultFile, saveVaultFile } from "../../../client/device";

describe("DIR/vault.json: the device's memory of its vault", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vettid-vault-file-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const key = "A".repeat(43);

  it("starts at state version 0 and is written privately (0600)", () => {
    // Act
    const before = loadVaultFile(dir);
    saveVaultFile(dir, { stateVersion: 4, identityKey: key, manifestSerial: 2 });

    // Assess
    expect(before).toEqual({ schema: "vettid.vault/v1", stateVersion: 0 });
    expect(loadVaultFile(dir)).toEqual({
      schema: "vettid.vault/v1",
      stateVersion: 4,
      identityKey: key,
      manifestSerial: 2,
    });
    expect(statSync(join(dir, "vault.json")).mode & 0o777).toBe(0o600);
  });

  it("never moves backwards: a lower state version or serial, or another identity key, does not replace what is on disk", () => {
    // Prepare
    saveVaultFile(dir, { stateVersion: 9, identityKey: key, manifestSerial: 5 });

    // Act
    const merged = saveVaultFile(dir, { stateVersion: 3, identityKey: "B".repeat(43), manifestSerial: 1 });

    // Assess
    expect(merged).toEqual({ schema: "vettid.vault/v1", stateVersion: 9, identityKey: key, manifestSerial: 5 });
    expect(JSON.parse(readFileSync(join(dir, "vault.json"), "utf8"))).toEqual(merged);
  });

  it("keeps the silent enclaves the client names, and forgets them when it names none", () => {
    // Act
    saveVaultFile(dir, { stateVersion: 2, silent: [{ digest: key, at: 1_700_000_000_000 }] });
    const kept = loadVaultFile(dir);
    saveVaultFile(dir, { stateVersion: 2 });

    // Assess: not monotonic, unlike the rest: the client forgets them once a session is open
    expect(kept).toEqual({
      schema: "vettid.vault/v1",
      stateVersion: 2,
      silent: [{ digest: key, at: 1_700_000_000_000 }],
    });
    expect(loadVaultFile(dir)).toEqual({ schema: "vettid.vault/v1", stateVersion: 2 });
  });

  it.each([
    ["not JSON", "{"],
    ["another schema", JSON.stringify({ schema: "other", stateVersion: 1 })],
    ["a negative state version", JSON.stringify({ schema: "vettid.vault/v1", stateVersion: -1 })],
    ["a malformed identity key", JSON.stringify({ schema: "vettid.vault/v1", stateVersion: 1, identityKey: "x" })],
    [
      "a silent enclave that is no digest",
      JSON.stringify({ schema: "vettid.vault/v1", stateVersion: 1, silent: [{ digest: "x", at: 1 }] }),
    ],
    [
      "more than 4 silent enclaves",
      JSON.stringify({ schema: "vettid.vault/v1", stateVersion: 1, silent: Array(5).fill({ digest: key, at: 1 }) }),
    ],
  ])("refuses a file with %s rather than forgetting what it held", (_what, text) => {
    // Prepare
    writeFileSync(join(dir, "vault.json"), text);

    // Act + Assess
    expect(() => loadVaultFile(dir)).toThrow(/vault\.json/);
  });
});

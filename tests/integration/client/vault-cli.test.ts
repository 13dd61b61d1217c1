/**
 * `bin/vettid vault …` and `bin/vettid attest` as a person runs them, through
 * `main(argv, io)`, against a real nats-server, the vsock proxy, the KMS stand-in over
 * TLS, the S3 stand-in, the simulated NSM and the vault runtime: each command a new
 * process's worth of work (its own NATS connection, attestation and session), the
 * device's memory in DIR/vault.json between them.
 */
import { createPublicKey, verify as verifySignature } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../client/cli/main";
import type { RuntimePorts } from "../../../vault-enclave/runtime/ports";
import { VaultRuntime } from "../../../vault-enclave/runtime/vault-runtime";
import { captureIo } from "../../unit/client/capture-io";
import { writeDeviceDir } from "../../unit/client/device-dir";
import { MemoryChangeLog } from "../../unit/enclave/runtime/harness";
import { type ProxyTopology, signedManifestFor, startProxyTopology } from "../proxy/topology";

/** Small Argon2id cost for tests only (the production default is 64 MiB, t=3). */
const TEST_ARGON2 = { opsLimit: 1, memLimitBytes: 8 * 1024 };
const PIN = "482915";

describe("bin/vettid vault and attest against a live vault runtime", () => {
  const root = mkdtempSync(join(tmpdir(), "vettid-vault-cli-"));
  const alice = join(root, "alice");
  const stale = join(root, "stale");
  let t: ProxyTopology;
  let runtime: VaultRuntime;
  let trust: string[];
  let vaultIds: { alice: string; stale: string };
  // The runtime allows ten attestations per device per minute; each command attests
  // once, so the runtime's clock moves a minute per command.
  let shift = 0;

  beforeAll(async () => {
    const a = writeDeviceDir(alice, { deviceId: "dev-alice" });
    const s = writeDeviceDir(stale, { deviceId: "dev-stale" });
    vaultIds = { alice: a.device.vaultId, stale: s.device.vaultId };
    t = await startProxyTopology({ vaults: [vaultIds.alice, vaultIds.stale] });
    for (const dir of [alice, stale]) {
      const device = JSON.parse(readFileSync(join(dir, "device.json"), "utf8"));
      device.nats.servers = [t.nats.url];
      writeFileSync(join(dir, "device.json"), JSON.stringify(device));
    }
    const signed = await signedManifestFor(t.nsm);
    writeFileSync(join(root, "root.pem"), t.nsm.rootCertificatePem);
    writeFileSync(join(root, "manifest.json"), signed.text);
    writeFileSync(join(root, "manifest-key.json"), JSON.stringify(signed.keys));
    trust = [
      "--root",
      join(root, "root.pem"),
      "--manifest",
      join(root, "manifest.json"),
      "--manifest-key",
      join(root, "manifest-key.json"),
    ];
    const ports: RuntimePorts = {
      nsm: t.nsm,
      kms: t.sealingKms(),
      blobs: t.client.blob,
      changes: new MemoryChangeLog(),
      nats: t.client.nats,
      log: () => undefined,
      now: () => Date.now() + shift,
    };
    runtime = new VaultRuntime({ ports, argon2Params: TEST_ARGON2 });
    await runtime.serve(vaultIds.alice);
    await runtime.serve(vaultIds.stale);
  });
  afterAll(async () => {
    await runtime?.close();
    await t?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function vettid(dir: string, ...argv: string[]) {
    return vettidWith({}, dir, ...argv);
  }

  async function vettidWith(env: NodeJS.ProcessEnv, dir: string, ...argv: string[]) {
    shift += 61_000;
    const io = captureIo({ VETTID_ENDPOINTS: join(root, "no-endpoints.json"), ...env });
    const code = await main([...argv, "--state", dir, ...trust], io);
    return { code, out: io.out, err: io.err };
  }

  it("runs a person's journey: init, put, get, list, sign, a wrong PIN, delete, attest", async () => {
    // Act + Assess, one command at a time as a person types them
    const status = await vettid(alice, "vault", "status", "--json");
    expect(status).toMatchObject({ code: 0, err: "" });
    expect(JSON.parse(status.out)).toEqual({
      initialized: false,
      unlocked: false,
      stateVersion: 0,
      identityKey: null,
      release: "test-1",
      recovery: null,
      recoveredInto: null,
    });

    // no edge answers here: the vault is created all the same, and the device is told
    // the identity key is not registered yet
    const init = await vettid(alice, "vault", "init", "--pin", PIN, "--json");
    expect(init.code).toBe(0);
    expect(init.err).toMatch(
      /^warning: the vault is created, but the edge did not register its identity key .*vettid vault register-identity/,
    );
    const initialized = JSON.parse(init.out) as {
      stateVersion: number;
      identityKey: string;
      identityRegistered: boolean;
      recoverySecret: string;
    };
    expect(Object.keys(initialized)).toEqual(["stateVersion", "identityKey", "identityRegistered", "recoverySecret"]);
    expect(initialized.recoverySecret).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){12}$/);
    expect(initialized.identityRegistered).toBe(false);
    expect(initialized.stateVersion).toBe(1);
    expect(initialized.identityKey).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const pinFile = join(root, "pin.txt");
    writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
    const put = await vettid(
      alice,
      "vault",
      "put",
      "bank",
      "--value",
      "hunter2 ✓",
      "--type",
      "login",
      "--pin-file",
      pinFile,
      "--json",
    );
    expect(put).toMatchObject({ code: 0, err: "" });
    expect(JSON.parse(put.out)).toMatchObject({ name: "bank", type: "login", version: 1 });

    const get = await vettid(alice, "vault", "get", "bank", "--pin", PIN);
    expect(get).toEqual({ code: 0, out: "hunter2 ✓\n", err: "" });

    const list = await vettid(alice, "vault", "list", "--pin", PIN);
    expect(list).toEqual({ code: 0, out: "bank\n", err: "" });

    const challenge = Buffer.from("prove you are alice's vault");
    const sign = await vettid(alice, "vault", "sign", "--challenge", challenge.toString("hex"), "--pin", PIN, "--json");
    expect(sign).toMatchObject({ code: 0, err: "" });
    const signed = JSON.parse(sign.out) as { challenge: string; signature: string; identityKey: string };
    expect(signed.identityKey).toBe(initialized.identityKey);
    const spki = Buffer.concat([
      Buffer.from("302a300506032b6570032100", "hex"),
      Buffer.from(signed.identityKey, "base64url"),
    ]);
    const publicKey = createPublicKey({ key: spki, format: "der", type: "spki" });
    expect(verifySignature(null, challenge, publicKey, Buffer.from(signed.signature, "hex"))).toBe(true);

    const wrong = await vettid(alice, "vault", "get", "bank", "--pin", "000000");
    expect(wrong.code).toBe(1);
    expect(wrong.out).toBe("");
    expect(wrong.err).toMatch(/^error: PIN_INCORRECT: [^\n]+\n$/);

    const removed = await vettid(alice, "vault", "delete", "bank", "--pin", PIN);
    expect(removed).toEqual({ code: 0, out: "deleted bank\n", err: "" });

    const empty = await vettid(alice, "vault", "list", "--pin", PIN, "--json");
    expect(empty).toEqual({ code: 0, out: "[]\n", err: "" });

    const attest = await vettid(alice, "attest", "--json");
    expect(attest).toMatchObject({ code: 0, err: "" });
    const report = JSON.parse(attest.out);
    expect(report).toMatchObject({
      valid: true,
      digest: "SHA384",
      errors: [],
      release: { id: "test-1", status: "active" },
      manifest: { serial: expect.any(Number), source: join(root, "manifest.json") },
      root: join(root, "root.pem"),
    });
    expect(report.pcrs["0"]).toBe(Buffer.from(t.nsm.pcrs[0] as Uint8Array).toString("hex"));
    expect(report.nonce).toMatch(/^[0-9a-f]{64}$/);

    // The device's memory: forward only, private, with the identity key and manifest serial
    const memoryPath = join(alice, "vault.json");
    const memory = JSON.parse(readFileSync(memoryPath, "utf8"));
    expect(memory).toMatchObject({
      schema: "vettid.vault/v1",
      identityKey: initialized.identityKey,
      manifestSerial: report.manifest.serial,
    });
    expect(memory.stateVersion).toBeGreaterThan(initialized.stateVersion);
    expect(statSync(memoryPath).mode & 0o777).toBe(0o600);
  });

  it("prints the human forms: the identity key, the signature hex, what the attestation verified", async () => {
    // Act
    const status = await vettid(alice, "vault", "status");
    const sign = await vettid(alice, "vault", "sign", "--challenge", "00ff", "--pin", PIN);
    const attest = await vettid(alice, "attest");

    // Assess
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^initialized: yes\nstate_version: \d+\nidentity_key: [A-Za-z0-9_-]{43}\n/);
    expect(sign).toMatchObject({ code: 0, err: "" });
    expect(sign.out).toMatch(/^[0-9a-f]{128}\n$/);
    expect(attest.code).toBe(0);
    expect(attest.out).toContain("attestation: verified\n");
    expect(attest.out).toMatch(/\nPCR0: [0-9a-f]{96}\n/);
    expect(attest.out).toMatch(/\nrelease: test-1 \(active; commit /);
  });

  it("checks and changes the PIN: unlock, pin, the old PIN refused, the new one from VETTID_PIN, lock", async () => {
    // Act
    const unlock = await vettid(alice, "vault", "unlock", "--pin", PIN);
    const change = await vettid(alice, "vault", "pin", "--old", PIN, "--new", "730164", "--json");
    const old = await vettid(alice, "vault", "unlock", "--pin", PIN);
    const fresh = await vettidWith({ VETTID_PIN: "730164" }, alice, "vault", "unlock", "--json");
    const lock = await vettid(alice, "vault", "lock");

    // Assess
    expect(unlock).toEqual({ code: 0, out: "PIN accepted\n", err: "" });
    expect(change).toMatchObject({ code: 0, err: "" });
    expect(JSON.parse(change.out)).toEqual({ changed: true, stateVersion: expect.any(Number) });
    expect(old.code).toBe(1);
    expect(old.err).toMatch(/^error: PIN_INCORRECT: [^\n]+\n$/);
    expect(fresh).toMatchObject({ code: 0, err: "" });
    expect(JSON.parse(fresh.out)).toEqual({ unlocked: true, stateVersion: expect.any(Number) });
    expect(lock).toEqual({ code: 0, out: "locked\n", err: "" });
  });

  it("prints the audit log with its chain verified, and refuses one that rewrites what the device saw", async () => {
    // Act: the journeys above ran on this vault (its PIN is now 730164).
    const asJson = await vettidWith({ VETTID_PIN: "730164" }, alice, "vault", "audit", "--json");
    const asText = await vettidWith({ VETTID_PIN: "730164" }, alice, "vault", "audit");
    const help = await vettid(alice, "vault", "audit", "--help");

    // Assess: every event in order, from the vault's creation, the chain verified.
    expect(asJson).toMatchObject({ code: 0, err: "" });
    const log = JSON.parse(asJson.out);
    expect(log.chainVerified).toBe(true);
    const kinds: string[] = log.entries.map((e: { kind: string }) => e.kind);
    expect(kinds[0]).toBe("vault.initialized");
    expect(kinds).toContain("unlock.failed");
    expect(kinds).toContain("pin.changed");
    expect(kinds.indexOf("pin.changed")).toBeGreaterThan(kinds.indexOf("unlock.failed"));
    expect(log.entries.map((e: { seq: number }) => e.seq)).toEqual(kinds.map((_, i) => i + 1));
    expect(log.entries[0]).toEqual({
      seq: 1,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      kind: "vault.initialized",
      device: "dev-alice",
      detail: {},
    });
    expect(log.head).toEqual({ seq: kinds.length, digest: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const memory = JSON.parse(readFileSync(join(alice, "vault.json"), "utf8"));
    // The text form read the log once more: its own unlock is two entries more.
    const lines = asText.out.trimEnd().split("\n");
    expect(lines).toHaveLength(kinds.length + 2);
    expect(lines[0]).toMatch(/^1 {2}\S+Z {2}vault\.initialized {2}dev-alice$/);
    expect(lines.find((l) => l.includes("unlock.failed"))).toMatch(/ {2}failures=\d+$/);
    expect(memory.audit).toEqual({ seq: kinds.length + 2, digest: expect.any(String) });
    expect(help).toMatchObject({ code: 0 });
    expect(help.out).toContain("vettid vault audit");

    // Act: the device's memory says another chain led to entry 3.
    writeFileSync(
      join(alice, "vault.json"),
      JSON.stringify({ ...memory, audit: { seq: 3, digest: Buffer.alloc(32, 1).toString("base64url") } }),
    );
    const rewritten = await vettidWith({ VETTID_PIN: "730164" }, alice, "vault", "audit");

    // Assess: one line, nothing printed, the memory kept.
    expect(rewritten.code).toBe(1);
    expect(rewritten.out).toBe("");
    expect(rewritten.err).toMatch(/^error: AUDIT_INVALID: [^\n]+\n$/);
    writeFileSync(join(alice, "vault.json"), JSON.stringify(memory));
  });

  it("follows the changes to the items: starts at the head, then prints each put and delete once, in order", async () => {
    // Prepare: the journeys above ran on this vault (its PIN is now 730164).
    const env = { VETTID_PIN: "730164" };
    const started = await vettidWith(env, alice, "vault", "changes");
    await vettidWith(env, alice, "vault", "put", "followed", "--value", "one");
    await vettidWith(env, alice, "vault", "put", "followed", "--value", "two", "--type", "note");
    await vettidWith(env, alice, "vault", "delete", "followed");

    // Act
    const asJson = await vettidWith(env, alice, "vault", "changes", "--json");
    const again = await vettidWith(env, alice, "vault", "changes");
    const restarted = await vettidWith(env, alice, "vault", "changes", "--restart");

    // Assess
    expect(started).toMatchObject({ code: 0, err: "" });
    expect(started.out).toMatch(
      /^following the vault's changes from \d+ \(list the items once: vettid vault list\)\n$/,
    );
    expect(asJson).toMatchObject({ code: 0, err: "" });
    const synced = JSON.parse(asJson.out);
    const from = Number(/from (\d+)/.exec(started.out)?.[1]);
    expect(synced.changes).toEqual([
      { seq: from + 1, at: expect.any(String), kind: "item.put", name: "followed", type: "secret", version: 1 },
      { seq: from + 2, at: expect.any(String), kind: "item.put", name: "followed", type: "note", version: 2 },
      { seq: from + 3, at: expect.any(String), kind: "item.deleted", name: "followed" },
    ]);
    expect(synced).toMatchObject({ started: false, chainVerified: true, head: { seq: from + 3 } });
    expect(again).toEqual({ code: 0, out: "", err: "" });
    expect(restarted.out).toBe(
      `following the vault's changes from ${from + 3} (list the items once: vettid vault list)\n`,
    );
    const memory = JSON.parse(readFileSync(join(alice, "vault.json"), "utf8"));
    expect(memory.changes).toEqual({
      seq: from + 3,
      digest: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      cursor: expect.any(Number),
    });

    // Act: the device's file claims a position past the head (a rolled-back vault, or a
    // file from elsewhere): refused; --restart forgets it and follows from the head.
    writeFileSync(
      join(alice, "vault.json"),
      JSON.stringify({
        ...memory,
        changes: { seq: 9_999, digest: Buffer.alloc(32, 7).toString("base64url"), cursor: 1 },
      }),
    );
    const ahead = await vettidWith(env, alice, "vault", "changes");
    const reset = await vettidWith(env, alice, "vault", "changes", "--restart");

    // Assess
    expect(ahead.code).toBe(1);
    expect(ahead.err).toMatch(/^error: STALE_STATE: [^\n]+\n$/);
    expect(reset.out).toBe(`following the vault's changes from ${from + 3} (list the items once: vettid vault list)\n`);
    expect(JSON.parse(readFileSync(join(alice, "vault.json"), "utf8")).changes.seq).toBe(from + 3);
  });

  it("says in one line when no enclave serves the device's vault", async () => {
    // Prepare: a device whose vault no runtime serves
    const orphan = join(root, "orphan");
    writeDeviceDir(orphan, { deviceId: "dev-orphan", servers: [t.nats.url] });

    // Act
    const status = await vettid(orphan, "vault", "status");

    // Assess
    expect(status.code).toBe(1);
    expect(status.err).toMatch(
      /^error: UNAVAILABLE: no enclave serves this vault right now \(no responders on vettid\.v1\.vault\.[^\n]+\)\n$/,
    );
  });

  it("refuses a vault that answers with an older state version than this device saw (STALE_STATE)", async () => {
    // Prepare: the device remembers a version the vault (its host serving old state) cannot reach
    const memoryPath = join(stale, "vault.json");
    writeFileSync(memoryPath, JSON.stringify({ schema: "vettid.vault/v1", stateVersion: 1_000_000 }));

    // Act
    const status = await vettid(stale, "vault", "status");

    // Assess
    expect(status.code).toBe(1);
    expect(status.out).toBe("");
    expect(status.err).toMatch(/^error: STALE_STATE: [^\n]+\n$/);
    expect(JSON.parse(readFileSync(memoryPath, "utf8")).stateVersion).toBe(1_000_000);
  });
});

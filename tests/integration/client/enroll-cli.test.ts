/**
 * `bin/vettid admin invite`, `enroll` and `refresh` against the REST edge (nats-server
 * in operator mode, dynalite, the Secrets Manager stand-in, the REST adapter): JSON
 * output, the edge's code and detail in one line, and a failed enrollment that leaves
 * no private key behind while a retryable one keeps the keys for the retry.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../client/cli/main";
import { captureIo } from "../../unit/client/capture-io";
import { useEdge } from "../edge/support";

describe("bin/vettid admin invite, enroll and refresh against the REST edge", () => {
  const edge = useEdge();
  const root = mkdtempSync(join(tmpdir(), "vettid-enroll-cli-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function vettid(...argv: string[]) {
    const io = captureIo({ VETTID_ENDPOINTS: join(root, "no-endpoints.json") });
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  }
  const api = () => edge.current.edge.rest.url;
  const invite = async () => {
    const r = await vettid("admin", "invite", "--api", api(), "--token", edge.current.edge.adminToken);
    expect(r.code).toBe(0);
    return r.out.trim();
  };
  const keysOf = (dir: string) => join(dir, "device-keys.json");

  it("prints the invitation and the enrollment as JSON", async () => {
    // Prepare
    const dir = join(root, "json-device");

    // Act
    const created = await vettid("admin", "invite", "--api", api(), "--token", edge.current.edge.adminToken, "--json");
    const { code } = JSON.parse(created.out) as { code: string };
    const enrolled = await vettid("enroll", "--api", api(), "--invite", code, "--state", dir, "--json");

    // Assess
    expect(created.code).toBe(0);
    expect(Object.keys(JSON.parse(created.out)).sort()).toEqual(["code", "expiresAt", "invitationId"]);
    expect(enrolled).toMatchObject({ code: 0, err: "" });
    const device = JSON.parse(enrolled.out);
    expect(Object.keys(device)).toEqual(["userId", "deviceId", "vaultId", "stateDir", "natsExpiresAt"]);
    expect(device.stateDir).toBe(dir);
    expect(JSON.parse(readFileSync(join(dir, "device.json"), "utf8")).deviceId).toBe(device.deviceId);
  });

  it("prints the edge's code and the failed field in one line", async () => {
    // Act
    const r = await vettid(
      "admin",
      "invite",
      "--api",
      api(),
      "--token",
      edge.current.edge.adminToken,
      "--expires-in",
      "10",
    );

    // Assess
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^error: VALIDATION_FAILED: body\.expiresInSeconds: [^\n]+\n$/);
  });

  it("leaves no private key behind when the edge refuses the enrollment (INVITATION_USED)", async () => {
    // Prepare: a used code; one fresh directory and one that existed (empty) before
    const code = await invite();
    expect((await vettid("enroll", "--api", api(), "--invite", code, "--state", join(root, "first"))).code).toBe(0);
    const fresh = join(root, "refused-fresh");
    const existing = join(root, "refused-existing");
    mkdirSync(existing);

    // Act
    const a = await vettid("enroll", "--api", api(), "--invite", code, "--state", fresh);
    const b = await vettid("enroll", "--api", api(), "--invite", code, "--state", existing);

    // Assess
    for (const r of [a, b]) {
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^error: INVITATION_USED: [^\n]+\n$/);
    }
    expect(existsSync(fresh)).toBe(false);
    expect(existsSync(existing)).toBe(true);
    expect(existsSync(keysOf(existing))).toBe(false);
  });

  it("keeps the keys when the edge cannot be reached, and the retry enrolls the same device", async () => {
    // Prepare
    const dir = join(root, "retry");
    const code = await invite();

    // Act
    const offline = await vettid("enroll", "--api", "http://127.0.0.1:1", "--invite", code, "--state", dir);
    const kept = JSON.parse(readFileSync(keysOf(dir), "utf8"));
    const retry = await vettid("enroll", "--api", api(), "--invite", code, "--state", dir, "--json");

    // Assess
    expect(offline.code).toBe(1);
    expect(offline.err).toMatch(
      /^error: UNAVAILABLE: cannot reach [^\n]+ \(keys kept in [^\n]+device-keys\.json; the same command retries\)\n$/,
    );
    expect(retry.code).toBe(0);
    const device = JSON.parse(readFileSync(join(dir, "device.json"), "utf8"));
    expect(device.publicKeys.signing).toBe(kept.signing.publicKey);
  });

  it("refreshes the device's NATS credentials with a signed request", async () => {
    // Prepare
    const dir = join(root, "json-device");

    // Act
    const r = await vettid("refresh", "--state", dir, "--json");

    // Assess
    expect(r).toMatchObject({ code: 0, err: "" });
    const refreshed = JSON.parse(r.out);
    expect(refreshed).toEqual({
      deviceId: expect.any(String),
      natsExpiresAt: expect.any(String),
      servers: expect.any(Array),
    });
    const after = readFileSync(join(dir, "nats.creds"), "utf8");
    expect(after).toMatch(/^-----BEGIN NATS USER JWT-----\n[^\n]+\n------END NATS USER JWT------\n/);
    expect(JSON.parse(readFileSync(join(dir, "device.json"), "utf8")).nats.expiresAt).toBe(refreshed.natsExpiresAt);
  });

  it("lists and revokes invitations, and a revoked code enrolls nobody", async () => {
    // Prepare
    const token = edge.current.edge.adminToken;
    const created = JSON.parse(
      (await vettid("admin", "invite", "--api", api(), "--token", token, "--note", "for revocation", "--json")).out,
    ) as { invitationId: string; code: string };

    // Act
    const listed = await vettid("admin", "invitations", "list", "--api", api(), "--token", token, "--json");
    const revoked = await vettid(
      "admin",
      "invitations",
      "revoke",
      created.invitationId,
      "--api",
      api(),
      "--token",
      token,
    );
    const enroll = await vettid("enroll", "--api", api(), "--invite", created.code, "--state", join(root, "revoked"));
    const missing = await vettid("admin", "invitations", "revoke", "--api", api(), "--token", token);

    // Assess
    expect(listed.code).toBe(0);
    const items = (JSON.parse(listed.out) as { items: { invitationId: string; status: string; note?: string }[] })
      .items;
    expect(items.find((i) => i.invitationId === created.invitationId)).toMatchObject({
      status: "open",
      note: "for revocation",
    });
    expect(listed.out).not.toContain(created.code);
    expect(revoked).toEqual({ code: 0, out: `${created.invitationId} revoked\n`, err: "" });
    expect(enroll.code).toBe(1);
    expect(enroll.err).toMatch(/^error: INVITATION_[A-Z_]+: [^\n]+\n$/);
    expect(missing.code).toBe(2);
  });

  it("revokes a device at the edge, after which it gets no new NATS credentials", async () => {
    // Prepare
    const dir = join(root, "to-revoke");
    const enrolled = await vettid("enroll", "--api", api(), "--invite", await invite(), "--state", dir, "--json");
    const { deviceId } = JSON.parse(enrolled.out) as { deviceId: string };

    // Act
    const revoked = await vettid(
      "admin",
      "devices",
      "revoke",
      deviceId,
      "--api",
      api(),
      "--token",
      edge.current.edge.adminToken,
      "--json",
    );
    const refresh = await vettid("refresh", "--state", dir);

    // Assess
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.out)).toEqual({ deviceId, status: "revoked" });
    expect(refresh.code).toBe(1);
    expect(refresh.err).toMatch(/^error: DEVICE_REVOKED: [^\n]+\n$/);
  });
});

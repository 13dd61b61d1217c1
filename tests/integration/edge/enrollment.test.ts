import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../../../client/device";
import { type EdgeContext, enroll, invitationIdFromCode, RATE_LIMITS, signRequest } from "../../../lib/edge";
import type { EdgeStore } from "../../../lib/store";
import { isVaultIdFor } from "../../../lib/vault-id";
import { useEdge } from "./support";

const enrollBody = (code: string, keys: DeviceKeys) => ({
  invitationCode: code,
  device: {
    signingKey: keys.signing.publicKey,
    exchangeKey: keys.exchange.publicKey,
    natsPublicKey: keys.nats.publicKey,
  },
});

describe("REST edge: invitations and enrollment", () => {
  const edge = useEdge();

  async function invite(extra: Record<string, unknown> = {}): Promise<string> {
    const created = await edge.current.request("POST", "/v1/invitations", { json: extra, admin: true });
    expect(created.status).toBe(201);
    return (created.json as { code: string }).code;
  }

  test("an operator creates, lists and revokes invitations; the code is never listed", async () => {
    // Prepare
    const code = await invite({ note: "for Ada" });
    // Act
    const list = await edge.current.request("GET", "/v1/invitations", { admin: true });
    const id = invitationIdFromCode(code);
    const revoked = await edge.current.request("POST", `/v1/invitations/${id}/revoke`, { admin: true });
    const refused = await edge.current.request("POST", "/v1/enrollments", {
      json: enrollBody(code, generateDeviceKeys()),
    });
    // Assess
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(code);
    expect((list.json as { items: { invitationId: string; note?: string }[] }).items).toContainEqual(
      expect.objectContaining({ invitationId: id, note: "for Ada" }),
    );
    expect(revoked.status).toBe(200);
    expect((revoked.json as { status: string }).status).toBe("revoked");
    expect(refused.status).toBe(410);
    expect((refused.json as { code: string }).code).toBe("INVITATION_REVOKED");
  });

  test("admin routes refuse callers without operator credentials", async () => {
    // Act
    const none = await edge.current.request("POST", "/v1/invitations", { json: {} });
    const wrong = await edge.current.request("POST", "/v1/invitations", {
      json: {},
      headers: { authorization: "Bearer not-the-admin-token-000" },
    });
    // Assess
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
  });

  test("assigns a vault id that commits to the enrolling device's keys, with the salt in the answer", async () => {
    // Prepare
    const code = await invite();
    const keys = generateDeviceKeys();
    const founding = {
      signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
      exchangeKey: Buffer.from(keys.exchange.publicKey, "base64url"),
    };
    // Act
    const first = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, keys) });
    const again = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, keys) });
    // Assess
    const a = first.json as { vaultId: string; vaultSalt: string };
    expect(isVaultIdFor(a.vaultId, founding, Buffer.from(a.vaultSalt, "base64url"))).toBe(true);
    expect(
      isVaultIdFor(a.vaultId, { ...founding, exchangeKey: Buffer.alloc(32, 9) }, Buffer.from(a.vaultSalt, "base64url")),
    ).toBe(false);
    expect((again.json as { vaultSalt: string }).vaultSalt).toBe(a.vaultSalt);
  });

  test("enrollment is idempotent for the same device and refused for another device", async () => {
    // Prepare
    const code = await invite();
    const keys = generateDeviceKeys();
    // Act
    const first = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, keys) });
    const again = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, keys) });
    const other = await edge.current.request("POST", "/v1/enrollments", {
      json: enrollBody(code, generateDeviceKeys()),
    });
    const otherExchangeKey = await edge.current.request("POST", "/v1/enrollments", {
      json: enrollBody(code, { ...keys, exchange: generateDeviceKeys().exchange }),
    });
    // Assess
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    const a = first.json as { deviceId: string; vaultId: string; userId: string };
    const b = again.json as { deviceId: string; vaultId: string; userId: string };
    expect([b.deviceId, b.vaultId, b.userId]).toEqual([a.deviceId, a.vaultId, a.userId]);
    expect(other.status).toBe(409);
    expect((other.json as { code: string }).code).toBe("INVITATION_USED");
    // a device is all three of its keys: another X25519 key is another device
    expect(otherExchangeKey.status).toBe(409);
    expect((otherExchangeKey.json as { code: string }).code).toBe("INVITATION_USED");
  });

  test("concurrent enrollments with one invitation: exactly one device wins", async () => {
    // Prepare
    const code = await invite();
    // as many as the per-code attempt limit allows (RATE_LIMITS.perCode.max)
    const devices = Array.from({ length: RATE_LIMITS.perCode.max }, () => generateDeviceKeys());
    // Act
    const results = await Promise.all(
      devices.map((keys) => edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, keys) })),
    );
    // Assess
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(devices.length - 1);
    expect(
      results.filter((r) => r.status !== 201).every((r) => (r.json as { code: string }).code === "INVITATION_USED"),
    ).toBe(true);
    const devicesInTable = (await edge.current.snapshot()).filter((item) => String(item.pk).startsWith("DEVICE#"));
    const winner = results.find((r) => r.status === 201)?.json as { deviceId: string };
    expect(devicesInTable.filter((d) => d.deviceId === winner.deviceId)).toHaveLength(1);
  });

  /**
   * The edge's context with a store whose next `claimInvitation` first runs `before`
   * to completion: a request that read the invitation open then loses the claim,
   * deterministically.
   */
  function losingClaim(before: () => Promise<unknown>): EdgeContext {
    const ctx = edge.current.edge.context;
    const store: EdgeStore = Object.create(ctx.store, {
      claimInvitation: {
        value: async (...args: Parameters<EdgeStore["claimInvitation"]>) => {
          await before();
          return ctx.store.claimInvitation(...args);
        },
      },
    });
    return { ...ctx, store };
  }

  test("a device that loses the race for an invitation enrolls its NATS key later with another invitation", async () => {
    // Prepare
    const ctx = edge.current.edge.context;
    const contested = await invite();
    const loser = generateDeviceKeys();
    const winner = generateDeviceKeys();
    const racing = losingClaim(() => enroll(ctx, enrollBody(contested, winner), "192.0.2.11"));
    // Act
    const lost = enroll(racing, enrollBody(contested, loser), "192.0.2.12");
    await expect(lost).rejects.toMatchObject({ code: "INVITATION_USED" });
    const later = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(await invite(), loser) });
    // the winner's reservation is not the loser's to release: another device cannot take its NATS key
    const squatter = { ...generateDeviceKeys(), nats: winner.nats };
    const taken = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(await invite(), squatter) });
    // Assess
    expect(later.status).toBe(201);
    expect((taken.json as { code: string }).code).toBe("CONFLICT");
  });

  test("a device whose invitation is revoked before its claim enrolls its NATS key with another invitation", async () => {
    // Prepare
    const ctx = edge.current.edge.context;
    const code = await invite();
    const keys = generateDeviceKeys();
    const racing = losingClaim(() => ctx.store.revokeInvitation(invitationIdFromCode(code), ctx.now()));
    // Act
    const lost = enroll(racing, enrollBody(code, keys), "192.0.2.13");
    await expect(lost).rejects.toMatchObject({ code: "INVITATION_REVOKED" });
    const later = await enroll(ctx, enrollBody(await invite(), keys), "192.0.2.13");
    // Assess
    expect(later.deviceId).toMatch(/^dev/);
  });

  test("unknown and expired codes are refused", async () => {
    // Prepare
    const now = Date.now();
    const code = "ABCD-EFGH-JKMN-PQRS";
    await edge.current.edge.context.store.createInvitation({
      invitationId: invitationIdFromCode(code),
      status: "open",
      createdAt: now - 10_000,
      expiresAt: now - 1_000,
      createdBy: "test",
    });
    // Act
    const expired = await edge.current.request("POST", "/v1/enrollments", {
      json: enrollBody(code, generateDeviceKeys()),
    });
    const unknown = await edge.current.request("POST", "/v1/enrollments", {
      json: enrollBody("ZZZZ-ZZZZ-ZZZZ-ZZZZ", generateDeviceKeys()),
    });
    // Assess
    expect(expired.status).toBe(410);
    expect((expired.json as { code: string }).code).toBe("INVITATION_EXPIRED");
    expect(unknown.status).toBe(403);
    expect((unknown.json as { code: string }).code).toBe("INVITATION_INVALID");
  });

  test("a NATS key with a wrong checksum is a 400 and leaves the invitation usable", async () => {
    // Prepare
    const code = await invite();
    const keys = generateDeviceKeys();
    const good = keys.nats.publicKey;
    const last = good.at(-1) === "A" ? "B" : "A";
    const badChecksum = { ...keys, nats: { ...keys.nats, publicKey: `${good.slice(0, -1)}${last}` } };
    // Act
    const refused = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, badChecksum) });
    const enrolled = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, keys) });
    // Assess
    expect(refused.status).toBe(400);
    expect((refused.json as { code: string }).code).toBe("VALIDATION_FAILED");
    expect(enrolled.status).toBe(201);
  });

  test("small-order Ed25519 and low-order X25519 keys are a 400 and leave the invitation usable", async () => {
    // Prepare: the identity point verifies a forged signature (R = identity, S = 0) over any message
    const code = await invite();
    const keys = generateDeviceKeys();
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]).toString("base64url");
    const zero = Buffer.alloc(32).toString("base64url");
    // Act
    const weakSigning = await edge.current.request("POST", "/v1/enrollments", {
      json: enrollBody(code, { ...keys, signing: { ...keys.signing, publicKey: identity } }),
    });
    const weakExchange = await edge.current.request("POST", "/v1/enrollments", {
      json: enrollBody(code, { ...keys, exchange: { ...keys.exchange, publicKey: zero } }),
    });
    const enrolled = await edge.current.request("POST", "/v1/enrollments", { json: enrollBody(code, keys) });
    // Assess
    expect([weakSigning.status, weakExchange.status]).toEqual([400, 400]);
    expect((weakSigning.json as { code: string }).code).toBe("VALIDATION_FAILED");
    expect(enrolled.status).toBe(201);
  });

  test("credential refresh needs a fresh signature by the device key, and a replay is refused", async () => {
    // Prepare
    const keys = generateDeviceKeys();
    const client = createEdgeClient({ baseUrl: edge.current.edge.rest.url });
    const enrolled = await client.enroll(await invite(), keys);
    const timestamp = new Date().toISOString();
    const nonce = "bm9uY2Utbm9uY2Utbm9uY2UtMDE";
    const fields = {
      purpose: "credentials" as const,
      targetDeviceId: enrolled.deviceId,
      signerDeviceId: enrolled.deviceId,
      timestamp,
      nonce,
    };
    const body = { timestamp, nonce, signature: signRequest(fields, Buffer.from(keys.signing.seed, "base64url")) };
    const path = `/v1/devices/${enrolled.deviceId}/credentials`;
    const stale = new Date(Date.now() - 3_600_000).toISOString();
    const forged = {
      ...body,
      signature: signRequest(fields, Buffer.from(generateDeviceKeys().signing.seed, "base64url")),
    };
    // Act
    const first = await edge.current.request("POST", path, { json: body });
    const replay = await edge.current.request("POST", path, { json: body });
    const old = await edge.current.request("POST", path, {
      json: {
        timestamp: stale,
        nonce: "b3RoZXItbm9uY2Utb3RoZXItMDI",
        signature: signRequest(
          { ...fields, timestamp: stale, nonce: "b3RoZXItbm9uY2Utb3RoZXItMDI" },
          Buffer.from(keys.signing.seed, "base64url"),
        ),
      },
    });
    const wrongKey = await edge.current.request("POST", path, {
      json: { ...forged, nonce: "Zm9yZ2VkLW5vbmNlLWZvcmdlZC0w" },
    });
    // Assess
    expect(first.status).toBe(200);
    expect((first.json as { nats: { jwt: string } }).nats.jwt.split(".")).toHaveLength(3);
    expect(replay.status).toBe(401);
    expect((replay.json as { code: string }).code).toBe("REPLAYED_REQUEST");
    expect((old.json as { code: string }).code).toBe("CHALLENGE_INVALID");
    expect((wrongKey.json as { code: string }).code).toBe("CHALLENGE_INVALID");
  });

  test("health and manifest routes answer; no manifest published is a 404 problem", async () => {
    // Act
    const health = await edge.current.request("GET", "/v1/health");
    const manifest = await edge.current.request("GET", "/v1/pcr-manifest");
    const unknown = await edge.current.request("GET", "/v1/nothing-here");
    // Assess
    expect(health.status).toBe(200);
    expect(health.headers.get("strict-transport-security")).toContain("max-age");
    expect(manifest.status).toBe(404);
    expect(manifest.headers.get("content-type")).toBe("application/problem+json");
    expect(unknown.status).toBe(404);
  });
});

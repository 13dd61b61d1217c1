import { decode } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import {
  DEVICE_SCOPE_ROLE,
  DEVICE_USER_LIMITS,
  devicePermissions,
  deviceScopeTemplate,
  encodeVettidAccountJwt,
  generateNatsKeyHierarchy,
  mintDeviceUserJwt,
  REVOCATION_RETENTION_SECONDS,
  USER_JWT_TTL,
  withRevocation,
} from "../../../lib/nats-auth";

describe("NATS user JWTs for devices", () => {
  const keys = generateNatsKeyHierarchy();
  const signing = { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.deviceSigningSeed };

  test("permissions are exactly the device's own subjects from lib/subjects", () => {
    // Act
    const p = devicePermissions("vlt_a", "dev_a");
    // Assess
    expect(p.pub.allow).toEqual(["vettid.v1.vault.vlt_a.req.dev_a"]);
    expect(p.sub.allow).toEqual([
      "vettid.v1.inbox.dev_a.>",
      "vettid.v1.vault.vlt_a.evt.dev_a",
      "vettid.v1.vault.vlt_a.evt.all",
    ]);
    expect(p.pub.deny).toEqual(expect.arrayContaining(["$SYS.>", "$JS.>"]));
  });

  test("a minted JWT names the device's nkey, the account, its device id and vault tag, an expiry in hours, and no permissions", async () => {
    // Prepare
    const user = createUser();
    const now = Date.UTC(2026, 10, 28, 12);
    // Act
    const minted = await mintDeviceUserJwt({
      signing,
      userPublicKey: user.getPublicKey(),
      vaultId: "vlt_a",
      deviceId: "dev_a",
      now,
    });
    const claims = decode<Record<string, unknown>>(minted.jwt);
    // Assess: nats-server refuses a scoped user JWT that carries permissions or limits
    expect(claims.sub).toBe(user.getPublicKey());
    expect(claims.name).toBe("dev_a");
    expect(claims.iss).toBe(keys.deviceSigningPublicKey);
    expect(claims.exp).toBe(now / 1000 + USER_JWT_TTL.defaultSeconds);
    expect(claims.nats).toEqual({
      tags: ["vault:vlt_a"],
      issuer_account: keys.accountPublicKey,
      type: "user",
      version: 2,
    });
  });

  test("the device template, filled as nats-server fills it, is exactly the device's permissions", () => {
    // Prepare: name() is the JWT's name, tag(vault) the value of its vault: tag (whole tokens)
    const fill = (subject: string) =>
      subject
        .split(".")
        .map((t) => (t === "{{name()}}" ? "dev_a" : t === "{{tag(vault)}}" ? "vlt_a" : t))
        .join(".");
    const template = deviceScopeTemplate();
    // Act
    const filled = {
      pub: { allow: template.pub.allow.map(fill), deny: template.pub.deny },
      sub: { allow: template.sub.allow.map(fill), deny: template.sub.deny },
    };
    // Assess
    expect(filled).toEqual(devicePermissions("vlt_a", "dev_a"));
  });

  test("the account JWT scopes the device signing key to the template with the device limits", async () => {
    // Act
    const jwt = await encodeVettidAccountJwt({
      accountPublicKey: keys.accountPublicKey,
      signingKeys: [keys.accountSigningPublicKey],
      deviceSigningKeys: [keys.deviceSigningPublicKey],
      operatorSeed: keys.operatorSigningSeed,
    });
    const claims = decode<{ signing_keys: unknown[] }>(jwt);
    // Assess
    expect(claims.nats.signing_keys).toEqual([
      keys.accountSigningPublicKey,
      {
        kind: "user_scope",
        key: keys.deviceSigningPublicKey,
        role: DEVICE_SCOPE_ROLE,
        template: {
          ...deviceScopeTemplate(),
          ...DEVICE_USER_LIMITS,
          bearer_token: false,
          allowed_connection_types: ["STANDARD", "WEBSOCKET"],
        },
      },
    ]);
  });

  test("refuses an account without a device key, or with one that is also unscoped", async () => {
    // Prepare
    const base = {
      accountPublicKey: keys.accountPublicKey,
      signingKeys: [keys.accountSigningPublicKey],
      operatorSeed: keys.operatorSigningSeed,
    };
    // Act + Assess
    await expect(encodeVettidAccountJwt({ ...base, deviceSigningKeys: [] })).rejects.toThrow(TypeError);
    await expect(
      encodeVettidAccountJwt({ ...base, deviceSigningKeys: [keys.accountSigningPublicKey] }),
    ).rejects.toThrow(TypeError);
  });

  test("refuses a non-user nkey, bad ids and lifetimes beyond hours", async () => {
    // Prepare
    const user = createUser().getPublicKey();
    // Act + Assess
    await expect(
      mintDeviceUserJwt({ signing, userPublicKey: keys.accountPublicKey, vaultId: "v", deviceId: "d" }),
    ).rejects.toThrow();
    await expect(mintDeviceUserJwt({ signing, userPublicKey: user, vaultId: "v.>", deviceId: "d" })).rejects.toThrow();
    await expect(
      mintDeviceUserJwt({ signing, userPublicKey: user, vaultId: "v", deviceId: "d", ttlSeconds: 7 * 86_400 }),
    ).rejects.toThrow(RangeError);
  });

  test("the account JWT always carries limits and JetStream limits, and its revocations", async () => {
    // Prepare
    const revocations = withRevocation({}, createUser().getPublicKey(), 1_000_000);
    // Act
    const jwt = await encodeVettidAccountJwt({
      accountPublicKey: keys.accountPublicKey,
      signingKeys: [keys.accountSigningPublicKey],
      deviceSigningKeys: [keys.deviceSigningPublicKey],
      revocations,
      operatorSeed: keys.operatorSigningSeed,
    });
    const claims = decode<{ limits: Record<string, unknown>; revocations: Record<string, number> }>(jwt);
    // Assess
    expect(claims.iss).toBe(keys.operatorSigningPublicKey);
    expect(claims.nats.limits).toMatchObject({
      conn: -1,
      disk_storage: expect.any(Number),
      mem_storage: expect.any(Number),
    });
    expect(claims.nats.revocations).toEqual(revocations);
  });

  test("old revocations are pruned once every JWT they match has expired", () => {
    // Act
    const next = withRevocation({ UOLD: 1, UNEW: 10_000_000 }, "UADD", 10_000_000 + REVOCATION_RETENTION_SECONDS - 1);
    // Assess
    expect(Object.keys(next).sort()).toEqual(["UADD", "UNEW"]);
  });
});

import { decode } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import {
  devicePermissions,
  encodeVettidAccountJwt,
  generateNatsKeyHierarchy,
  mintDeviceUserJwt,
  REVOCATION_RETENTION_SECONDS,
  USER_JWT_TTL,
  withRevocation,
} from "../../../lib/nats-auth";

describe("NATS user JWTs for devices", () => {
  const keys = generateNatsKeyHierarchy();
  const signing = { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.accountSigningSeed };

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

  test("a minted JWT names the device's nkey, the account, the permissions and an expiry in hours", async () => {
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
    const claims = decode<{
      pub: { allow: string[] };
      sub: { allow: string[] };
      issuer_account: string;
      subs: number;
      payload: number;
      data: number;
    }>(minted.jwt);
    // Assess
    expect(claims.sub).toBe(user.getPublicKey());
    expect(claims.iss).toBe(keys.accountSigningPublicKey);
    expect(claims.nats.issuer_account).toBe(keys.accountPublicKey);
    expect(claims.nats.pub?.allow).toEqual(devicePermissions("vlt_a", "dev_a").pub.allow);
    expect(claims.exp).toBe(now / 1000 + USER_JWT_TTL.defaultSeconds);
    expect(claims.nats).toMatchObject({ subs: 16, payload: 1_048_576, data: -1 });
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

import { decode } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import { type EdgeContext, revokeDevice } from "../../../lib/edge";
import { generateNatsKeyHierarchy, mintDeviceUserJwt, type Revocations } from "../../../lib/nats-auth";
import type { DeviceRecord, EdgeStore } from "../../../lib/store";

/** The part of the store a revocation touches, in memory. */
function revocationStore(device: DeviceRecord, state = { revocations: {} as Revocations, version: 0 }) {
  const store: Partial<EdgeStore> = {
    getDevice: async (deviceId) => (deviceId === device.deviceId ? { ...device } : undefined),
    revokeDevice: async () => {
      const changed = device.status === "active";
      device.status = "revoked";
      return changed;
    },
    getRevocations: async () => ({ revocations: { ...state.revocations }, version: state.version }),
    putRevocations: async (revocations, expectedVersion) => {
      if (expectedVersion !== state.version) return false;
      state.revocations = revocations;
      state.version += 1;
      return true;
    },
  };
  return store as EdgeStore;
}

describe("device revocation", () => {
  test("a JWT minted by a refresh that authenticated just before the revocation is still revoked", async () => {
    // Prepare
    const keys = generateNatsKeyHierarchy();
    const signing = { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.deviceSigningSeed };
    const nats = createUser().getPublicKey();
    const device: DeviceRecord = {
      deviceId: `dev_${"a".repeat(32)}`,
      userId: `usr_${"a".repeat(32)}`,
      vaultId: `vlt_${"a".repeat(32)}`,
      signingKey: "A".repeat(43),
      exchangeKey: "A".repeat(43),
      natsPublicKey: nats,
      status: "active",
      createdAt: 0,
    };
    // nats-jwt stamps `iat` from the wall clock: the revocation happened 29 s before the mint
    const revokedAt = Date.now() - 29_000;
    const state = { revocations: {} as Revocations, version: 0 };
    const ctx: EdgeContext = {
      store: revocationStore(device, state),
      now: () => revokedAt,
      natsServers: [],
      manifestUrl: "/v1/pcr-manifest",
      jwtTtlSeconds: 3600,
      deviceSigningKey: async () => signing,
    };
    // Act: the operator revokes; a refresh that had read the device as active mints
    // its JWT later, within the 30 s function timeout
    await revokeDevice(ctx, device.deviceId, { kind: "operator" });
    const late = await mintDeviceUserJwt({
      signing,
      userPublicKey: nats,
      vaultId: device.vaultId,
      deviceId: device.deviceId,
    });
    // Assess: nats-server refuses a JWT issued at or before the revocation entry (the
    // publisher signs what the table holds)
    const entry = state.revocations[nats];
    const issuedAt = decode(late.jwt).iat;
    expect(entry).toBeDefined();
    expect(issuedAt).toBeLessThanOrEqual(entry as number);
  });

  test("a retry of a recorded revocation writes the list again, so the stream publishes it again", async () => {
    // Prepare
    const nats = createUser().getPublicKey();
    const device: DeviceRecord = {
      deviceId: `dev_${"b".repeat(32)}`,
      userId: `usr_${"b".repeat(32)}`,
      vaultId: `vlt_${"b".repeat(32)}`,
      signingKey: "A".repeat(43),
      exchangeKey: "A".repeat(43),
      natsPublicKey: nats,
      status: "active",
      createdAt: 0,
    };
    const state = { revocations: {} as Revocations, version: 0 };
    const ctx: EdgeContext = {
      store: revocationStore(device, state),
      now: () => Date.now(),
      natsServers: [],
      manifestUrl: "/v1/pcr-manifest",
      jwtTtlSeconds: 3600,
      deviceSigningKey: async () => Promise.reject(new Error("a revocation signs nothing")),
    };
    // Act
    await revokeDevice(ctx, device.deviceId, { kind: "operator" });
    const first = { ...state.revocations };
    const again = await revokeDevice(ctx, device.deviceId, { kind: "operator" });
    // Assess
    expect(again.status).toBe("revoked");
    expect(state.version).toBe(2);
    expect(state.revocations).toEqual(first);
  });
});

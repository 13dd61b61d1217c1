import { HOST_HEARTBEAT, heartbeatUpdate, hostIdOfPartition } from "../../../lib/store";
import { startHeartbeat } from "../../../vsock-proxy/heartbeat";

const ARN = "arn:aws:ec2:eu-central-1:111111111111:instance/i-0123456789abcdef0";

describe("host heartbeat", () => {
  afterEach(() => jest.useRealTimers());

  test("beats at once on request and then every interval, with the host's current vault count", async () => {
    // Prepare
    jest.useFakeTimers();
    const sent: ReturnType<typeof heartbeatUpdate>[] = [];
    let vaults = 2;
    let clock = Date.UTC(2026, 10, 29, 12);
    const heartbeat = startHeartbeat({
      send: async (u) => {
        sent.push(u);
      },
      tableName: "vettid-dev",
      hostId: "i-0123456789abcdef0",
      instanceArn: ARN,
      vaultCount: () => vaults,
      logger: { warn: () => {} },
      now: () => clock,
    });
    // Act
    await heartbeat.beat();
    vaults = 3;
    clock += HOST_HEARTBEAT.intervalMs;
    await jest.advanceTimersByTimeAsync(HOST_HEARTBEAT.intervalMs);
    heartbeat.stop();
    await jest.advanceTimersByTimeAsync(3 * HOST_HEARTBEAT.intervalMs);
    // Assess
    expect(sent).toHaveLength(2);
    expect(sent[0]).toEqual(
      heartbeatUpdate("vettid-dev", {
        hostId: "i-0123456789abcdef0",
        instanceArn: ARN,
        at: clock - 10_000,
        vaultCount: 2,
      }),
    );
    expect(sent[1]?.Key).toEqual({ pk: `HOST#${ARN}`, sk: "HEARTBEAT" });
    expect(sent[1]?.ExpressionAttributeValues).toMatchObject({ ":at": clock, ":count": 3 });
  });

  test("a failed write is logged by its error name and the next beat tries again", async () => {
    // Prepare
    const warnings: Record<string, unknown>[] = [];
    let fail = true;
    const heartbeat = startHeartbeat({
      send: async () => {
        if (fail)
          throw Object.assign(new Error("User: arn:aws:sts::123:assumed-role/x is not authorized"), {
            name: "AccessDeniedException",
          });
      },
      tableName: "vettid-dev",
      hostId: "local-host",
      vaultCount: () => 0,
      logger: { warn: (_m, attributes) => warnings.push(attributes) },
    });
    // Act
    const first = await heartbeat.beat();
    fail = false;
    const second = await heartbeat.beat();
    heartbeat.stop();
    // Assess
    expect([first, second]).toEqual([false, true]);
    expect(warnings).toEqual([{ error: "AccessDeniedException" }]);
  });

  test("the update keeps to the host's own partition (its instance ARN) and refuses malformed ids, ARNs and counts", () => {
    // Act
    const local = heartbeatUpdate("t", { hostId: "local-host", at: 1_000_000, vaultCount: 0 });
    const ec2 = heartbeatUpdate("t", { hostId: "i-0123456789abcdef0", instanceArn: ARN, at: 1, vaultCount: 0 });
    // Assess
    expect(local.Key).toEqual({ pk: "HOST#local-host", sk: "HEARTBEAT" });
    expect(local.ExpressionAttributeValues[":ttl"]).toBe(1_000 + HOST_HEARTBEAT.retentionSeconds);
    expect(ec2.Key).toEqual({ pk: `HOST#${ARN}`, sk: "HEARTBEAT" });
    expect(ec2.ExpressionAttributeValues).toMatchObject({ ":gpk": "HOST", ":gsk": ARN });
    expect(hostIdOfPartition(ec2.Key.pk)).toBe("i-0123456789abcdef0");
    expect(hostIdOfPartition(local.Key.pk)).toBe("local-host");
    for (const hostId of ["", "HOST", "a/b", "a".repeat(64), "-x"]) {
      expect(() => heartbeatUpdate("t", { hostId, at: 1, vaultCount: 0 })).toThrow(RangeError);
    }
    for (const vaultCount of [-1, 1.5, Number.NaN]) {
      expect(() => heartbeatUpdate("t", { hostId: "h", at: 1, vaultCount })).toThrow(RangeError);
    }
    // an instance beats under its own ARN, never a bare id nor another instance's ARN
    const id = "i-0123456789abcdef0";
    expect(() => heartbeatUpdate("t", { hostId: id, at: 1, vaultCount: 0 })).toThrow(RangeError);
    for (const instanceArn of [ARN.replace(id, "i-0fffffffffffffff0"), `${ARN}x`, "arn:aws:iam::1:role/r"]) {
      expect(() => heartbeatUpdate("t", { hostId: id, instanceArn, at: 1, vaultCount: 0 })).toThrow(RangeError);
    }
  });

  test("only partition keys of the registry's shape name a host", () => {
    for (const pk of ["HOST", "HOST#", "HOST#i-0123456789abcdef0", "USER#u1", `HOST#${ARN}/x`, 7, undefined]) {
      expect(hostIdOfPartition(pk)).toBeUndefined();
    }
  });
});

import { decode } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import { createRevocationsHandler } from "../../../functions/revocations/publish";
import { loadEdgeConfig } from "../../../functions/shared/config";
import type { SecretReader } from "../../../functions/shared/secrets";
import { VettidError } from "../../../lib/errors";
import { generateNatsKeyHierarchy, type Revocations } from "../../../lib/nats-auth";
import {
  type AccountIssuer,
  checkRevocations,
  MAX_REVOCATIONS,
  publishRevocations,
  revocationChanges,
} from "../../../lib/nats-claims";

const NOW = Date.UTC(2026, 5, 1);
const change = (pk = "NATS", sk = "REVOCATIONS", eventName = "MODIFY", eventSource = "aws:dynamodb") => ({
  eventSource,
  eventName,
  dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } } },
});

describe("revocation publisher", () => {
  const keys = generateNatsKeyHierarchy();
  const issuer: AccountIssuer = {
    operatorSigningKeySeed: keys.operatorSigningSeed,
    accountPublicKey: keys.accountPublicKey,
    accountSigningKeys: [keys.accountSigningPublicKey],
    deviceSigningKeys: [keys.deviceSigningPublicKey],
    systemUserCreds: "creds",
  };
  const revoked = createUser().getPublicKey();
  const at = Math.floor(NOW / 1000);

  it("counts only inserts and modifications of the revocation item as changes", () => {
    // Act + Assess
    expect(revocationChanges({ Records: [change(), change("NATS", "REVOCATIONS", "INSERT")] })).toBe(2);
    expect(revocationChanges({ Records: [change("DEVICE#dev_1", "DEVICE")] })).toBe(0);
    expect(revocationChanges({ Records: [change("NATS", "REVOCATIONS", "REMOVE")] })).toBe(0);
    expect(revocationChanges({ Records: [change("NATS", "REVOCATIONS", "MODIFY", "aws:sqs")] })).toBe(0);
    expect(revocationChanges({ Records: "x" })).toBe(0);
    expect(revocationChanges(null)).toBe(0);
    expect(revocationChanges({ Records: [null, 1, change()] })).toBe(1);
  });

  it("signs the account JWT with the table's revocations and both kinds of signing keys, and pushes it", async () => {
    // Prepare
    const pushed: { creds: string; jwt: string }[] = [];
    // Act
    const result = await publishRevocations({
      revocations: async () => ({ [revoked]: at }),
      issuer: async () => issuer,
      publisher: (creds) => ({ publish: async (jwt) => void pushed.push({ creds, jwt }) }),
      now: () => NOW,
    });
    // Assess
    const claims = decode<{ revocations: Revocations; signing_keys: unknown[] }>(pushed[0]?.jwt ?? "");
    expect(result).toEqual({ revocations: 1 });
    expect(pushed[0]?.creds).toBe("creds");
    expect(claims.iss).toBe(keys.operatorSigningPublicKey);
    expect(claims.sub).toBe(keys.accountPublicKey);
    expect(claims.nats.revocations).toEqual({ [revoked]: at });
    expect(claims.nats.signing_keys).toEqual([
      keys.accountSigningPublicKey,
      expect.objectContaining({ kind: "user_scope", key: keys.deviceSigningPublicKey }),
    ]);
  });

  it.each([
    ["a key that is not a user nkey", { [keys.accountPublicKey]: at }],
    ["a time that is not an integer", { [revoked]: at + 0.5 }],
    ["a time far in the future", { [revoked]: at + 2 * 86_400 }],
    ["a time before 2020", { [revoked]: 1 }],
    ["a list", [revoked]],
  ])("refuses to sign a revocation list with %s", async (_label, revocations) => {
    // Prepare
    const publish = jest.fn();
    // Act
    const attempt = publishRevocations({
      revocations: async () => revocations as unknown as Revocations,
      issuer: async () => issuer,
      publisher: () => ({ publish }),
      now: () => NOW,
    });
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    expect(publish).not.toHaveBeenCalled();
  });

  it("refuses more revocations than one claims update carries", () => {
    // Prepare
    const many: Revocations = {};
    for (let i = 0; i <= MAX_REVOCATIONS; i += 1) many[`U${String(i).padStart(55, "A")}`] = at;
    // Act + Assess
    expect(() => checkRevocations(many, NOW)).toThrow(/over 10000/);
  });

  it("a push the servers refuse is UNAVAILABLE (the stream retries it)", async () => {
    // Act
    const attempt = publishRevocations({
      revocations: async () => ({}),
      issuer: async () => issuer,
      publisher: () => ({ publish: async () => Promise.reject(new Error("no responders")) }),
      now: () => NOW,
    });
    // Assess
    await expect(attempt).rejects.toEqual(expect.any(VettidError));
    await expect(attempt).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  describe("handler", () => {
    const config = loadEdgeConfig({
      VETTID_ENV: "local",
      VETTID_TABLE_NAME: "vettid-test",
      VETTID_NATS_URLS: "nats://127.0.0.1:4222",
      VETTID_NATS_OPERATOR_SECRET_ID: "operator",
    });
    const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() } as never;

    function handlerWith(read: jest.Mock) {
      const secrets: SecretReader = { json: read as SecretReader["json"] };
      const pushed: string[] = [];
      const handler = createRevocationsHandler({
        config,
        secrets,
        store: { getRevocations: async () => ({ revocations: { [revoked]: at }, version: 3 }) },
        publisher: () => ({ publish: async (jwt) => void pushed.push(jwt) }),
        logger,
        now: () => NOW,
      });
      return { handler, pushed };
    }

    it("passes: a change of the revocation item publishes what the table holds", async () => {
      // Prepare
      const read = jest.fn(async () => issuer);
      const { handler, pushed } = handlerWith(read);
      // Act
      const result = await handler({ Records: [change()] });
      // Assess
      expect(result).toEqual({ published: true, revocations: 1 });
      expect(read).toHaveBeenCalledWith("operator", expect.anything());
      expect(pushed).toHaveLength(1);
    });

    it("fails closed on an event that is not a change of the revocation item: nothing read, nothing signed", async () => {
      // Prepare
      const read = jest.fn(async () => issuer);
      const { handler, pushed } = handlerWith(read);
      // Act
      const result = await handler({ Records: [change("INVITATION#x", "INVITATION")] });
      // Assess
      expect(result).toEqual({ published: false });
      expect(read).not.toHaveBeenCalled();
      expect(pushed).toEqual([]);
    });
  });
});

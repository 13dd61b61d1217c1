import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoDbDocumentClient } from "../../../functions/shared/aws-clients";
import { createDynamoDbStore, type EdgeStore, HOST_HEARTBEAT, heartbeatUpdate } from "../../../lib/store";
import {
  createEdgeTable,
  LOCAL_AWS_CREDENTIALS,
  LOCAL_AWS_REGION,
  type LocalDynamoDb,
  startDynalite,
} from "../../../local/aws/dynamodb";

describe("DynamoDB store (dynalite): conditional writes and TTLs", () => {
  let db: LocalDynamoDb;
  let store: EdgeStore;
  let doc: DynamoDBDocumentClient;
  let documents: DynamoDBDocumentClient;
  const clientConfig = () => ({ endpoint: db.endpoint, region: LOCAL_AWS_REGION, credentials: LOCAL_AWS_CREDENTIALS });

  beforeAll(async () => {
    db = await startDynalite();
    await createEdgeTable(db.endpoint, "t-store");
    // the client the edge's handlers build, pointed at dynalite
    documents = dynamoDbDocumentClient({
      endpoint: db.endpoint,
      env: { AWS_REGION: LOCAL_AWS_REGION },
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    store = createDynamoDbStore({ tableName: "t-store", client: documents });
    doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig()));
  });
  afterAll(async () => {
    doc.destroy();
    documents.destroy();
    await db.stop();
  });

  async function item(pkPrefix: string): Promise<Record<string, unknown> | undefined> {
    const out = await doc.send(new ScanCommand({ TableName: "t-store" }));
    return (out.Items ?? []).find((i) => String(i.pk).startsWith(pkPrefix));
  }

  test("attempt counters stop at the limit and expire with their window", async () => {
    // Act
    const now = Date.UTC(2026, 10, 28, 12, 0, 30);
    const results: boolean[] = [];
    for (let i = 0; i < 4; i += 1) results.push(await store.countAttempt("b1", 60, 3, now));
    const nextWindow = await store.countAttempt("b1", 60, 3, now + 60_000);
    // Assess
    expect(results).toEqual([true, true, true, false]);
    expect(nextWindow).toBe(true);
    expect((await item("RATE#b1#"))?.ttl).toBe(Math.floor(now / 60_000) * 60 + 60);
  });

  test("a nonce is accepted once, and carries a TTL", async () => {
    expect(await store.useNonce("dev_x", "n1", 2_000_000_000)).toBe(true);
    expect(await store.useNonce("dev_x", "n1", 2_000_000_000)).toBe(false);
    expect((await item("NONCE#dev_x#n1"))?.ttl).toBe(2_000_000_000);
  });

  test("revocations are written with optimistic locking", async () => {
    // Act
    const first = await store.putRevocations({ UA: 1 }, 0);
    const stale = await store.putRevocations({ UB: 2 }, 0);
    const next = await store.putRevocations({ UA: 1, UC: 3 }, 1);
    // Assess
    expect([first, stale, next]).toEqual([true, false, true]);
    expect(await store.getRevocations()).toEqual({ revocations: { UA: 1, UC: 3 }, version: 2 });
  });

  test("an invitation is claimed once, only while open and unexpired; it carries a TTL", async () => {
    // Prepare
    const now = Date.now();
    await store.createInvitation({
      invitationId: "inv_a",
      status: "open",
      createdAt: now,
      expiresAt: now + 60_000,
      createdBy: "t",
    });
    await store.createInvitation({
      invitationId: "inv_b",
      status: "open",
      createdAt: now,
      expiresAt: now - 1,
      createdBy: "t",
    });
    const enrollment = {
      userId: "usr_1",
      deviceId: "dev_1",
      vaultId: "vlt_1",
      signingKey: "s",
      exchangeKey: "x",
      natsPublicKey: "U1",
      hostId: null,
    };
    // Act
    const claims = await Promise.all([1, 2, 3].map(() => store.claimInvitation("inv_a", enrollment, now)));
    const expired = await store.claimInvitation("inv_b", enrollment, now);
    const duplicate = await store.createInvitation({
      invitationId: "inv_a",
      status: "open",
      createdAt: now,
      expiresAt: now + 60_000,
      createdBy: "t",
    });
    // Assess
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(expired).toBe(false);
    expect(duplicate).toBe(false);
    expect((await store.getInvitation("inv_a"))?.status).toBe("used");
    expect(typeof (await item("INVITATION"))?.ttl).toBe("number");
  });

  test("a NATS key is reserved for one device; a device is revoked once", async () => {
    // Act
    const mine = await store.reserveNatsKey({
      natsPublicKey: "UK",
      deviceId: "dev_k",
      signingKey: "s",
      invitationId: "i",
    });
    const theirs = await store.reserveNatsKey({
      natsPublicKey: "UK",
      deviceId: "dev_o",
      signingKey: "o",
      invitationId: "j",
    });
    await store.materializeEnrollment({
      invitationId: "i",
      now: 1,
      user: { userId: "usr_k", createdAt: 1, invitationId: "i" },
      vault: { vaultId: "vlt_k", userId: "usr_k", hostId: null, stateVersion: 0, createdAt: 1 },
      device: {
        deviceId: "dev_k",
        userId: "usr_k",
        vaultId: "vlt_k",
        signingKey: "s",
        exchangeKey: "x",
        natsPublicKey: "UK",
        status: "active",
        createdAt: 1,
      },
    });
    const revoked = [await store.revokeDevice("dev_k", 2), await store.revokeDevice("dev_k", 3)];
    // Assess
    expect(mine.reserved).toBe(true);
    expect(theirs).toMatchObject({ reserved: false, existing: { deviceId: "dev_k" } });
    expect(revoked).toEqual([true, false]);
    expect((await store.getDevice("dev_k"))?.status).toBe("revoked");
  });

  test("a DynamoDB failure other than a failed condition is a VettidError: a missing table INTERNAL, no table reachable UNAVAILABLE", async () => {
    // Prepare
    const missingTable = createDynamoDbStore({ tableName: "t-missing", client: documents });
    const unreachable = dynamoDbDocumentClient({
      endpoint: "http://127.0.0.1:1",
      env: { AWS_REGION: LOCAL_AWS_REGION },
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    // Act
    const missing = await missingTable.getDevice("dev_x").catch((err: unknown) => err);
    const down = await createDynamoDbStore({ tableName: "t-store", client: unreachable })
      .useNonce("dev_x", "n-down", 2_000_000_000)
      .catch((err: unknown) => err);
    unreachable.destroy();
    // Assess
    expect(missing).toMatchObject({
      name: "VettidError",
      code: "INTERNAL",
      message: "DynamoDB GetItem failed (BAD_REQUEST)",
    });
    expect((missing as Error).cause).toMatchObject({ name: "ResourceNotFoundException" });
    expect(down).toMatchObject({ name: "VettidError", code: "UNAVAILABLE", retryable: true });
  });

  test("hosts' heartbeats (as the proxy writes them) decide where a new vault goes: live, then fewest vaults", async () => {
    // Prepare
    const now = Date.UTC(2026, 10, 29, 12);
    const arn = (hostId: string) => `arn:aws:ec2:eu-central-1:111111111111:instance/${hostId}`;
    const beat = (hostId: string, at: number, vaultCount: number) =>
      doc.send(new UpdateCommand(heartbeatUpdate("t-store", { hostId, instanceArn: arn(hostId), at, vaultCount })));
    const before = await store.pickHost(now);
    await beat("i-0aaaaaaaaaaaaaaaa", now - 1_000, 7);
    await beat("i-0bbbbbbbbbbbbbbbb", now - 2_000, 3);
    await beat("i-0cccccccccccccccc", now - HOST_HEARTBEAT.livenessMs - 1, 0); // stopped beating
    // Act
    const picked = await store.pickHost(now);
    await beat("i-0bbbbbbbbbbbbbbbb", now, 9); // the same host's next beat replaces its item
    const next = await store.pickHost(now);
    // Assess
    expect(before).toBeUndefined();
    expect(picked).toBe("i-0bbbbbbbbbbbbbbbb");
    expect(next).toBe("i-0aaaaaaaaaaaaaaaa");
    const host = await item(`HOST#${arn("i-0bbbbbbbbbbbbbbbb")}`);
    expect(host).toMatchObject({ type: "host", sk: "HEARTBEAT", vaultCount: 9 });
    expect(host?.ttl).toBeGreaterThan(Math.floor(now / 1000));
  });

  test("the host id comes from the partition key, never from what a host wrote into its item", async () => {
    // Prepare: a table of its own; a live host, and items a host might forge in the index.
    await createEdgeTable(db.endpoint, "t-hosts");
    const hosts = createDynamoDbStore({ tableName: "t-hosts", client: documents });
    const now = Date.UTC(2026, 10, 29, 12);
    const honest = "arn:aws:ec2:eu-central-1:111111111111:instance/i-0aaaaaaaaaaaaaaaa";
    await doc.send(
      new UpdateCommand(
        heartbeatUpdate("t-hosts", { hostId: "i-0aaaaaaaaaaaaaaaa", instanceArn: honest, at: now, vaultCount: 5 }),
      ),
    );
    const forged = { gsi1pk: "HOST", type: "host", heartbeatAt: now, vaultCount: 0 };
    // its own partition, another sort key; a partition that names no instance; a hostId attribute
    await doc.send(
      new PutCommand({ TableName: "t-hosts", Item: { ...forged, pk: `HOST#${honest}`, sk: "X", gsi1sk: "a" } }),
    );
    await doc.send(
      new PutCommand({
        TableName: "t-hosts",
        Item: { ...forged, pk: "HOST#i-0bbbbbbbbbbbbbbbb", sk: "HEARTBEAT", gsi1sk: "b" },
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: "t-hosts",
        Item: { ...forged, pk: "USER#u", sk: "HEARTBEAT", gsi1sk: "c", hostId: "i-0ccc" },
      }),
    );
    // Act
    const picked = await hosts.pickHost(now);
    // Assess
    expect(picked).toBe("i-0aaaaaaaaaaaaaaaa");
  });
});

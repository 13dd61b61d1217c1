import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { type AwsJsonClient, AwsServiceError, createAwsJsonClient, staticCredentials } from "../../../lib/aws-json";
import { createDocumentTable, type DocumentTable } from "../../../lib/store/document-table";
import {
  createEdgeTable,
  LOCAL_AWS_CREDENTIALS,
  LOCAL_AWS_REGION,
  type LocalDynamoDb,
  startDynalite,
} from "../../../local/aws/dynamodb";

/**
 * The edge's DynamoDB path (lib/aws-json + lib/store/document-table) against the
 * AWS SDK's document client on the same dynalite table: whatever one writes, the
 * other reads back unchanged, so the two marshal documents alike.
 */

/**
 * Attribute names. The edge's are its own identifiers; names of Object.prototype
 * members (`constructor`, `__proto__`) are refused by both marshallers alike.
 */
const name = fc.string({ minLength: 1, maxLength: 16 }).filter((k) => !(k in Object.prototype));
/** Values the edge stores: non-empty strings, safe integers, doubles, booleans, null, maps and lists. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }),
    fc.maxSafeInteger(),
    // within DynamoDB's range (magnitudes from 1e-130) and JavaScript's safe integers
    fc
      .double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true })
      .filter((d) => (d === 0 ? !Object.is(d, -0) : Math.abs(d) > 1e-100)),
    fc.boolean(),
    fc.constant(null),
  ),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(name, tie("node"), { maxKeys: 4 }),
  ),
})).node;
const attributes = fc.dictionary(
  name.filter((k) => k !== "pk" && k !== "sk"),
  value,
  { maxKeys: 6 },
);

describe("DynamoDB over lib/aws-json agrees with the AWS SDK's document client (dynalite)", () => {
  let db: LocalDynamoDb;
  let dynamodb: AwsJsonClient;
  let table: DocumentTable;
  let sdk: DynamoDBDocumentClient;
  const TableName = "t-conformance";

  beforeAll(async () => {
    db = await startDynalite();
    await createEdgeTable(db.endpoint, TableName);
    dynamodb = createAwsJsonClient({
      service: "dynamodb",
      endpoint: db.endpoint,
      region: LOCAL_AWS_REGION,
      credentials: staticCredentials(LOCAL_AWS_CREDENTIALS),
    });
    table = createDocumentTable(dynamodb, TableName);
    sdk = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_AWS_REGION, credentials: LOCAL_AWS_CREDENTIALS }),
    );
  });
  afterAll(async () => {
    sdk.destroy();
    dynamodb.close();
    await db.stop();
  });

  test("documents written by either client read back identically through the other", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(attributes, async (doc) => {
        n += 1;
        const ours = { pk: `OURS#${n}`, sk: "X", ...doc };
        const theirs = { pk: `SDK#${n}`, sk: "X", ...doc };
        await table.put({ Item: ours });
        await sdk.send(new PutCommand({ TableName, Item: theirs }));
        const viaSdk = await sdk.send(
          new GetCommand({ TableName, Key: { pk: ours.pk, sk: "X" }, ConsistentRead: true }),
        );
        const viaOurs = await table.get({ Key: { pk: theirs.pk, sk: "X" }, ConsistentRead: true });
        expect(viaSdk.Item).toEqual(ours);
        expect(viaOurs.Item).toEqual(theirs);
      }),
      { numRuns: 150 },
    );
  });

  test("conditional writes, updates with ALL_NEW, deletes and paged queries behave as with the SDK", async () => {
    // Prepare
    const key = { pk: "PAGE", sk: "0" };
    await table.put({ Item: { ...key, status: "open", count: 1 }, ConditionExpression: "attribute_not_exists(pk)" });
    for (let i = 1; i <= 5; i += 1)
      await sdk.send(new PutCommand({ TableName, Item: { pk: "PAGE", sk: String(i), i } }));
    // Act
    const again = await table
      .put({ Item: { ...key }, ConditionExpression: "attribute_not_exists(pk)" })
      .catch((e: unknown) => e);
    const updated = await table.update({
      Key: key,
      UpdateExpression: "SET #s = :used ADD #c :one",
      ConditionExpression: "#s = :open",
      ExpressionAttributeNames: { "#s": "status", "#c": "count" },
      ExpressionAttributeValues: { ":used": "used", ":open": "open", ":one": 1 },
      ReturnValues: "ALL_NEW",
    });
    const pages: unknown[][] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await table.query({
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "PAGE" },
        Limit: 2,
        ExclusiveStartKey: start,
      });
      pages.push(page.Items.map((i) => i.sk));
      start = page.LastEvaluatedKey;
    } while (start);
    const sdkAll = await sdk.send(
      new QueryCommand({ TableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "PAGE" } }),
    );
    await table.delete({
      Key: key,
      ConditionExpression: "#s = :used",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":used": "used" },
    });
    const gone = await table.get({ Key: key, ConsistentRead: true });
    // Assess
    expect(again).toBeInstanceOf(AwsServiceError);
    expect(again).toMatchObject({ name: "ConditionalCheckFailedException" });
    expect(updated.Attributes).toEqual({ ...key, status: "used", count: 2 });
    expect(pages.flat()).toEqual((sdkAll.Items ?? []).map((i) => i.sk));
    expect(pages.length).toBeGreaterThan(1);
    expect(gone).toEqual({});
  });
});

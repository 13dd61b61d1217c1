import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { AwsJsonClient } from "../aws-json";

/** A plain JavaScript item (strings, numbers, booleans, maps, lists), as `@aws-sdk/lib-dynamodb` takes it. */
export type Item = Record<string, unknown>;

/** The expression parts every conditional operation may carry. */
interface Expressions {
  ConditionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: Item | undefined;
}

/**
 * One DynamoDB table with plain JavaScript values in and out: the operations and
 * input shapes of `@aws-sdk/lib-dynamodb`'s document client that the edge uses,
 * with `TableName` bound, marshalled by `@aws-sdk/util-dynamodb` (the same
 * marshaller the document client uses, `removeUndefinedValues` on).
 */
export interface DocumentTable {
  get(input: { Key: Item; ConsistentRead?: boolean }): Promise<{ Item?: Item }>;
  put(input: { Item: Item } & Expressions): Promise<void>;
  update(
    input: { Key: Item; UpdateExpression: string; ReturnValues?: "NONE" | "ALL_NEW" } & Expressions,
  ): Promise<{ Attributes?: Item }>;
  delete(input: { Key: Item } & Expressions): Promise<void>;
  query(input: {
    /** A global secondary index instead of the table. */
    IndexName?: string;
    KeyConditionExpression: string;
    FilterExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues: Item;
    Limit?: number | undefined;
    ExclusiveStartKey?: Item | undefined;
  }): Promise<{ Items: Item[]; LastEvaluatedKey?: Item }>;
}

type Wire = Record<string, unknown>;

const toWire = (value: Item) => marshall(value, { removeUndefinedValues: true }) as Wire;
const fromWire = (value: unknown) => unmarshall(value as Parameters<typeof unmarshall>[0]);

/** Drops absent members and marshals the value-carrying ones. */
function request(TableName: string, input: object): Wire {
  const out: Wire = { TableName };
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    out[name] =
      name === "Item" || name === "Key" || name === "ExpressionAttributeValues" || name === "ExclusiveStartKey"
        ? toWire(value as Item)
        : value;
  }
  return out;
}

/** A {@link DocumentTable} over a DynamoDB JSON-protocol client. */
export function createDocumentTable(dynamodb: AwsJsonClient, TableName: string): DocumentTable {
  return {
    async get(input) {
      const out = await dynamodb.call<{ Item?: Wire }>("GetItem", request(TableName, input));
      return out.Item ? { Item: fromWire(out.Item) } : {};
    },
    async put(input) {
      await dynamodb.call("PutItem", request(TableName, input));
    },
    async update(input) {
      const out = await dynamodb.call<{ Attributes?: Wire }>("UpdateItem", request(TableName, input));
      return out.Attributes ? { Attributes: fromWire(out.Attributes) } : {};
    },
    async delete(input) {
      await dynamodb.call("DeleteItem", request(TableName, input));
    },
    async query(input) {
      const out = await dynamodb.call<{ Items?: Wire[]; LastEvaluatedKey?: Wire }>("Query", request(TableName, input));
      const page: { Items: Item[]; LastEvaluatedKey?: Item } = { Items: (out.Items ?? []).map(fromWire) };
      if (out.LastEvaluatedKey) page.LastEvaluatedKey = fromWire(out.LastEvaluatedKey);
      return page;
    },
  };
}

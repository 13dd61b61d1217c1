import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { fromAwsError } from "../errors";

/** A plain JavaScript item (strings, numbers, booleans, maps, lists), as `@aws-sdk/lib-dynamodb` takes it. */
export type Item = Record<string, unknown>;

/** The expression parts every conditional operation may carry. */
interface Expressions {
  ConditionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: Item | undefined;
}

/**
 * One DynamoDB table with plain JavaScript values in and out: the document client's
 * operations that the edge uses, with `TableName` bound. A failed condition rejects
 * with the SDK's `ConditionalCheckFailedException` (callers test `err.name`); every
 * other failure is mapped by `fromAwsError` as a request of our own (throttling
 * `RATE_LIMITED`, unreachable `UNAVAILABLE`, anything else `INTERNAL`).
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

/** Whether `err` is a failed `ConditionExpression` (the outcome a conditional write may have). */
export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
}

/** Runs one operation; failures other than a failed condition become VettidErrors. */
async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isConditionFailure(err)) throw err;
    throw fromAwsError(err, `DynamoDB ${operation}`, { ownRequest: true });
  }
}

/** A {@link DocumentTable} over a DynamoDB document client. */
export function createDocumentTable(documents: DynamoDBDocumentClient, TableName: string): DocumentTable {
  return {
    async get(input) {
      const out = await send("GetItem", () => documents.send(new GetCommand({ TableName, ...input })));
      return out.Item ? { Item: out.Item } : {};
    },
    async put(input) {
      await send("PutItem", () => documents.send(new PutCommand({ TableName, ...input })));
    },
    async update(input) {
      const out = await send("UpdateItem", () => documents.send(new UpdateCommand({ TableName, ...input })));
      return out.Attributes ? { Attributes: out.Attributes } : {};
    },
    async delete(input) {
      await send("DeleteItem", () => documents.send(new DeleteCommand({ TableName, ...input })));
    },
    async query(input) {
      const out = await send("Query", () => documents.send(new QueryCommand({ TableName, ...input })));
      const page: { Items: Item[]; LastEvaluatedKey?: Item } = { Items: out.Items ?? [] };
      if (out.LastEvaluatedKey) page.LastEvaluatedKey = out.LastEvaluatedKey;
      return page;
    },
  };
}

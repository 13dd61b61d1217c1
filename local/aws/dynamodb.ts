import type { Server } from "node:http";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { edgeTableDefinition } from "../../lib/store";
import { listenOnLoopback } from "../loopback-http";

/** A running dynalite (DynamoDB API on loopback, in memory; dev only). */
export interface LocalDynamoDb {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Dummy credentials: dynalite does not check signatures, the SDK still wants some. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;
export const LOCAL_AWS_REGION = "us-east-1";

/** Starts dynalite in this process on a free loopback port (or `port`). */
export async function startDynalite(port = 0): Promise<LocalDynamoDb> {
  // dynalite is CommonJS without types
  const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return listenOnLoopback(server, port);
}

/** Creates the edge's table in a local DynamoDB. */
export async function createEdgeTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_AWS_REGION, credentials: LOCAL_AWS_CREDENTIALS });
  try {
    await client.send(new CreateTableCommand(edgeTableDefinition(tableName)));
  } finally {
    client.destroy();
  }
}

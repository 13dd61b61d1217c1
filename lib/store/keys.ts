/**
 * Item keys of the single table: partition key `pk`, sort key `sk`, TTL attribute
 * `ttl` (seconds since the epoch). One place builds every key.
 */
export const TABLE_KEYS = { partition: "pk", sort: "sk", ttl: "ttl" } as const;

/** The one global secondary index (the stacks declare the same): `gsi1pk` / `gsi1sk`, all attributes. */
export const TABLE_INDEX = { name: "gsi1", partition: "gsi1pk", sort: "gsi1sk" } as const;

/** The sort key of a heartbeat item (one per host partition). */
export const HOST_SORT_KEY = "HEARTBEAT";

export const itemKey = {
  invitation: (invitationId: string) => ({ pk: "INVITATION", sk: invitationId }),
  user: (userId: string) => ({ pk: `USER#${userId}`, sk: "USER" }),
  device: (deviceId: string) => ({ pk: `DEVICE#${deviceId}`, sk: "DEVICE" }),
  vault: (vaultId: string) => ({ pk: `VAULT#${vaultId}`, sk: "VAULT" }),
  natsKey: (natsPublicKey: string) => ({ pk: `NKEY#${natsPublicKey}`, sk: "NKEY" }),
  nonce: (scope: string, nonce: string) => ({ pk: `NONCE#${scope}#${nonce}`, sk: "NONCE" }),
  attempts: (bucket: string, windowStart: number) => ({ pk: `RATE#${bucket}#${windowStart}`, sk: "RATE" }),
  revocations: () => ({ pk: "NATS", sk: "REVOCATIONS" }),
  /**
   * One host's heartbeat: its own partition, named after the identity IAM sees for it
   * (`ec2:SourceInstanceARN` in AWS), so the host role's `dynamodb:LeadingKeys`
   * condition lets each host write only this item. `gsi1` lists the registry.
   */
  host: (identity: string) => ({ pk: `HOST#${identity}`, sk: HOST_SORT_KEY }),
  /** The `gsi1pk` value of every heartbeat item. */
  hostIndexPartition: "HOST",
  audit: (day: string, at: number, id: string) => ({ pk: `AUDIT#${day}`, sk: `${at}#${id}` }),
} as const;

/** Partition-key prefixes of items that a refused request may legitimately write (counters). */
export const COUNTER_PREFIXES = ["RATE#"] as const;

/** CreateTable input of the edge table (local topology and tests; the stacks declare the same). */
export function edgeTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partition, AttributeType: "S" as const },
      { AttributeName: TABLE_KEYS.sort, AttributeType: "S" as const },
      { AttributeName: TABLE_INDEX.partition, AttributeType: "S" as const },
      { AttributeName: TABLE_INDEX.sort, AttributeType: "S" as const },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partition, KeyType: "HASH" as const },
      { AttributeName: TABLE_KEYS.sort, KeyType: "RANGE" as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TABLE_INDEX.name,
        KeySchema: [
          { AttributeName: TABLE_INDEX.partition, KeyType: "HASH" as const },
          { AttributeName: TABLE_INDEX.sort, KeyType: "RANGE" as const },
        ],
        Projection: { ProjectionType: "ALL" as const },
      },
    ],
  };
}

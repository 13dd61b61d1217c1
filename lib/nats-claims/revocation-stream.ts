import { itemKey } from "../store";

/**
 * The one input the revocation publisher takes from outside: a DynamoDB stream event of
 * the edge's table (through an event source mapping filtered to the revocation item).
 * It is only a trigger: the publisher reads the current revocations itself, with a
 * consistent read, and signs what it read, never what the event carries.
 */
export interface RevocationStreamRecord {
  eventSource?: unknown;
  eventName?: unknown;
  dynamodb?: { Keys?: Record<string, { S?: unknown } | undefined> };
}

/** At most what one event may hold (the mapping's batch size is 10; the API allows up to 10,000). */
export const MAX_STREAM_RECORDS = 10_000;

/**
 * How many records of `event` are changes of the revocation item (`pk` NATS, `sk`
 * REVOCATIONS) in the edge's table. Anything else — another item, another source, a
 * REMOVE, a shape that is not a stream event — counts as nothing, so a stray event
 * publishes nothing.
 *
 * @example
 * revocationChanges({ Records: [{ eventSource: "aws:dynamodb", eventName: "MODIFY",
 *   dynamodb: { Keys: { pk: { S: "NATS" }, sk: { S: "REVOCATIONS" } } } }] }) // 1
 */
export function revocationChanges(event: unknown): number {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records) || records.length > MAX_STREAM_RECORDS) return 0;
  const key = itemKey.revocations();
  let changes = 0;
  for (const record of records as RevocationStreamRecord[]) {
    if (typeof record !== "object" || record === null) continue;
    if (record.eventSource !== "aws:dynamodb") continue;
    if (record.eventName !== "INSERT" && record.eventName !== "MODIFY") continue;
    const keys = record.dynamodb?.Keys;
    if (keys?.pk?.S === key.pk && keys?.sk?.S === key.sk) changes += 1;
  }
  return changes;
}

import { itemKey } from "./keys";

/**
 * The host registry in the edge's table: one item per vault host (`pk` "HOST", `sk`
 * the host id) that the host's vsock proxy refreshes every interval; enrollment
 * assigns a new vault to the live host serving the fewest vaults (`pickHost`).
 * - intervalMs: 10 s, so a host that stops drops out of assignment within seconds.
 * - livenessMs: three intervals, so one lost write does not make a host look dead.
 * - retentionSeconds: a day, after which DynamoDB's TTL removes a host that stopped.
 */
export const HOST_HEARTBEAT = { intervalMs: 10_000, livenessMs: 30_000, retentionSeconds: 86_400 } as const;

/** Host ids: an EC2 instance id (`i-0123…`) in AWS, a short name in the local topology. */
export const HOST_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** One heartbeat of a host. */
export interface HostHeartbeat {
  hostId: string;
  /** Time of the beat, ms since the epoch. */
  at: number;
  /** Vaults the host serves now (0 while it serves none, or every vault as in the local topology). */
  vaultCount: number;
}

/**
 * The UpdateItem input (document form, as `@aws-sdk/lib-dynamodb`'s `UpdateCommand`
 * takes it) that records a heartbeat. Its key is in the `HOST` partition, the only
 * one a host's IAM policy lets it write (`dynamodb:LeadingKeys`).
 * @throws RangeError for a malformed host id or vault count.
 */
export function heartbeatUpdate(tableName: string, beat: HostHeartbeat) {
  if (!HOST_ID_PATTERN.test(beat.hostId)) throw new RangeError("hostId must match HOST_ID_PATTERN");
  if (!Number.isSafeInteger(beat.vaultCount) || beat.vaultCount < 0) {
    throw new RangeError("vaultCount must be a non-negative integer");
  }
  return {
    TableName: tableName,
    Key: { pk: itemKey.hostPartition, sk: beat.hostId },
    UpdateExpression: "SET #type = :type, heartbeatAt = :at, vaultCount = :count, #ttl = :ttl",
    ExpressionAttributeNames: { "#type": "type", "#ttl": "ttl" },
    ExpressionAttributeValues: {
      ":type": "host",
      ":at": beat.at,
      ":count": beat.vaultCount,
      ":ttl": Math.floor(beat.at / 1000) + HOST_HEARTBEAT.retentionSeconds,
    },
  };
}

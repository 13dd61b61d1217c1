import { itemKey, TABLE_INDEX } from "./keys";

/**
 * The host registry in the edge's table: one item per vault host that the host's vsock
 * proxy refreshes every interval; enrollment assigns a new vault to the live host
 * serving the fewest vaults (`pickHost`).
 *
 * Each item lives in its own partition, `HOST#<identity>`, where the identity is what
 * IAM knows the writer as: the instance ARN (`ec2:SourceInstanceARN` of instance-profile
 * credentials) in AWS, the host id in the local topology. The host role may write only
 * the partition `HOST#${ec2:SourceInstanceARN}` (`dynamodb:LeadingKeys`), so a host can
 * refresh its own beat and nobody else's. The reader takes the host id from that key,
 * never from an attribute the host wrote.
 * - intervalMs: 10 s, so a host that stops drops out of assignment within seconds.
 * - livenessMs: three intervals, so one lost write does not make a host look dead.
 * - retentionSeconds: a day, after which DynamoDB's TTL removes a host that stopped.
 */
export const HOST_HEARTBEAT = { intervalMs: 10_000, livenessMs: 30_000, retentionSeconds: 86_400 } as const;

/** Host ids: an EC2 instance id (`i-0123…`) in AWS, a short name in the local topology. */
export const HOST_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** An EC2 instance ARN, as IAM fills `ec2:SourceInstanceARN`: group 1 is the instance id. */
export const INSTANCE_ARN_PATTERN = /^arn:aws[a-z-]*:ec2:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:instance\/(i-[0-9a-f]{8,17})$/;

/** The attributes a heartbeat writes (the host role's `dynamodb:Attributes` allows exactly these). */
export const HEARTBEAT_ATTRIBUTES = [
  "pk",
  "sk",
  TABLE_INDEX.partition,
  TABLE_INDEX.sort,
  "type",
  "heartbeatAt",
  "vaultCount",
  "ttl",
] as const;

/** One heartbeat of a host. */
export interface HostHeartbeat {
  hostId: string;
  /**
   * The instance ARN (in AWS: required there, since the host's IAM policy admits only
   * the partition of its own ARN); absent in the local topology, where the host id
   * names the partition. Must end in `instance/<hostId>`.
   */
  instanceArn?: string | undefined;
  /** Time of the beat, ms since the epoch. */
  at: number;
  /** Vaults the host serves now (0 while it serves none, or every vault as in the local topology). */
  vaultCount: number;
}

/**
 * The host id a registry partition key stands for: the instance id of an instance ARN,
 * or the local host id itself; undefined for anything else.
 * @example hostIdOfPartition("HOST#arn:aws:ec2:eu-central-1:111111111111:instance/i-0123456789abcdef0") // "i-0123456789abcdef0"
 */
export function hostIdOfPartition(pk: unknown): string | undefined {
  if (typeof pk !== "string" || !pk.startsWith("HOST#")) return undefined;
  const identity = pk.slice("HOST#".length);
  const arn = INSTANCE_ARN_PATTERN.exec(identity);
  if (arn) return arn[1];
  return HOST_ID_PATTERN.test(identity) && !identity.startsWith("i-") ? identity : undefined;
}

/**
 * The UpdateItem input (document form, as `@aws-sdk/lib-dynamodb`'s `UpdateCommand`
 * takes it) that records a heartbeat, in the host's own partition (see above).
 * @throws RangeError for a malformed host id, instance ARN or vault count.
 */
export function heartbeatUpdate(tableName: string, beat: HostHeartbeat) {
  if (!HOST_ID_PATTERN.test(beat.hostId)) throw new RangeError("hostId must match HOST_ID_PATTERN");
  if (beat.instanceArn !== undefined && INSTANCE_ARN_PATTERN.exec(beat.instanceArn)?.[1] !== beat.hostId) {
    throw new RangeError("instanceArn must be the ARN of instance hostId");
  }
  if (beat.instanceArn === undefined && beat.hostId.startsWith("i-")) {
    throw new RangeError("an EC2 instance beats under its instance ARN");
  }
  if (!Number.isSafeInteger(beat.vaultCount) || beat.vaultCount < 0) {
    throw new RangeError("vaultCount must be a non-negative integer");
  }
  const identity = beat.instanceArn ?? beat.hostId;
  return {
    TableName: tableName,
    Key: itemKey.host(identity),
    UpdateExpression:
      "SET #gpk = :gpk, #gsk = :gsk, #type = :type, heartbeatAt = :at, vaultCount = :count, #ttl = :ttl",
    ExpressionAttributeNames: {
      "#gpk": TABLE_INDEX.partition,
      "#gsk": TABLE_INDEX.sort,
      "#type": "type",
      "#ttl": "ttl",
    },
    ExpressionAttributeValues: {
      ":gpk": itemKey.hostIndexPartition,
      ":gsk": identity,
      ":type": "host",
      ":at": beat.at,
      ":count": beat.vaultCount,
      ":ttl": Math.floor(beat.at / 1000) + HOST_HEARTBEAT.retentionSeconds,
    },
  };
}

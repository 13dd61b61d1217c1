import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { VettidError } from "../errors";
import { createDocumentTable, isConditionFailure } from "./document-table";
import { HOST_HEARTBEAT, hostIdOfPartition } from "./host-registry";
import { HOST_SORT_KEY, itemKey, TABLE_INDEX } from "./keys";
import type { DeviceRecord, InvitationRecord, Page, RevocationState, VaultRecord } from "./records";
import type { EdgeStore, NatsKeyReservation } from "./store";

/** Options of {@link createDynamoDbStore}. */
export interface DynamoDbStoreOptions {
  tableName: string;
  /**
   * The document client, built once per container (`functions/shared/aws-clients.ts`),
   * with `removeUndefinedValues` on: optional fields are written as absent.
   */
  client: DynamoDBDocumentClient;
}

/** Audit entries are kept one year. */
const AUDIT_RETENTION_SECONDS = 365 * 86_400;

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ttl: _ttl, type: _type, ...rest } = item;
  return rest as T;
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : undefined;
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const { pk, sk } = value as Record<string, unknown>;
      if (pk === "INVITATION" && typeof sk === "string") return { pk, sk };
    }
  } catch {
    // an invalid cursor restarts the listing
  }
  return undefined;
}

/**
 * The DynamoDB adapter of {@link EdgeStore} (single table, through the AWS SDK's
 * document client). Every state change is a conditional write or a transaction of
 * them; other failures reject with VettidErrors (`lib/errors` `fromAwsError`).
 */
export function createDynamoDbStore(options: DynamoDbStoreOptions): EdgeStore {
  const table = createDocumentTable(options.client, options.tableName);
  const seconds = (ms: number) => Math.floor(ms / 1000);
  /** One audit entry per state change of the REST edge (written after the change). */
  const writeAudit = async (action: string, subject: string, now: number) => {
    const day = new Date(now).toISOString().slice(0, 10);
    await table.put({
      Item: {
        ...itemKey.audit(day, now, `${action}#${subject}`),
        type: "audit",
        action,
        subject,
        at: now,
        ttl: seconds(now) + AUDIT_RETENTION_SECONDS,
      },
    });
  };

  return {
    async createInvitation(invitation) {
      try {
        await table.put({
          Item: {
            ...itemKey.invitation(invitation.invitationId),
            type: "invitation",
            ...invitation,
            // keep used and expired invitations 30 days past expiry, for audit
            ttl: seconds(invitation.expiresAt) + 30 * 86_400,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        });
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
      await writeAudit("invitation.create", invitation.invitationId, invitation.createdAt);
      return true;
    },

    async getInvitation(invitationId) {
      const out = await table.get({ Key: itemKey.invitation(invitationId), ConsistentRead: true });
      return strip<InvitationRecord>(out.Item);
    },

    async listInvitations({ limit, cursor }) {
      const out = await table.query({
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "INVITATION" },
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor),
      });
      const page: Page<InvitationRecord> = {
        items: (out.Items ?? []).map((item) => strip<InvitationRecord>(item) as InvitationRecord),
      };
      const next = encodeCursor(out.LastEvaluatedKey);
      if (next) page.cursor = next;
      return page;
    },

    async revokeInvitation(invitationId, now) {
      try {
        const out = await table.update({
          Key: itemKey.invitation(invitationId),
          UpdateExpression: "SET #status = :revoked, revokedAt = :now",
          ConditionExpression: "#status = :open",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":revoked": "revoked", ":open": "open", ":now": now },
          ReturnValues: "ALL_NEW",
        });
        return strip<InvitationRecord>(out.Attributes);
      } catch (err) {
        if (isConditionFailure(err)) return undefined;
        throw err;
      }
    },

    async reserveNatsKey(reservation) {
      try {
        await table.put({
          Item: { ...itemKey.natsKey(reservation.natsPublicKey), type: "nkey", ...reservation },
          ConditionExpression: "attribute_not_exists(pk)",
        });
        return { reserved: true, existing: reservation };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const out = await table.get({ Key: itemKey.natsKey(reservation.natsPublicKey), ConsistentRead: true });
        const existing = strip<NatsKeyReservation>(out.Item);
        if (!existing) throw new VettidError("UNAVAILABLE", "the NATS key reservation changed; retry");
        return { reserved: false, existing };
      }
    },

    async releaseNatsKey(natsPublicKey, deviceId) {
      try {
        await table.delete({
          Key: itemKey.natsKey(natsPublicKey),
          ConditionExpression: "deviceId = :d",
          ExpressionAttributeValues: { ":d": deviceId },
        });
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    },

    async claimInvitation(invitationId, enrollment, now) {
      try {
        await table.update({
          Key: itemKey.invitation(invitationId),
          UpdateExpression: "SET #status = :used, usedAt = :now, enrollment = :enrollment",
          ConditionExpression: "#status = :open AND expiresAt > :now",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":used": "used", ":open": "open", ":now": now, ":enrollment": enrollment },
        });
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
      await writeAudit("enrollment.claim", enrollment.deviceId, now);
      return true;
    },

    async materializeEnrollment({ now, user, device, vault }) {
      const putNew = async (Item: Record<string, unknown>) => {
        try {
          await table.put({ Item, ConditionExpression: "attribute_not_exists(pk)" });
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      };
      await putNew({ ...itemKey.user(user.userId), type: "user", ...user });
      await putNew({ ...itemKey.vault(vault.vaultId), type: "vault", ...vault });
      // the device last: its presence means the enrollment is complete
      await putNew({ ...itemKey.device(device.deviceId), type: "device", ...device });
      await writeAudit("enrollment.complete", device.deviceId, now);
    },

    async getDevice(deviceId) {
      const out = await table.get({ Key: itemKey.device(deviceId), ConsistentRead: true });
      return strip<DeviceRecord>(out.Item);
    },

    async getVault(vaultId) {
      const out = await table.get({ Key: itemKey.vault(vaultId), ConsistentRead: true });
      return strip<VaultRecord>(out.Item);
    },

    async setVaultIdentityKey(vaultId, identityKey) {
      try {
        await table.update({
          Key: itemKey.vault(vaultId),
          UpdateExpression: "SET identityKey = :key",
          ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(identityKey) OR identityKey = :key)",
          ExpressionAttributeValues: { ":key": identityKey },
        });
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    async revokeDevice(deviceId, now) {
      try {
        await table.update({
          Key: itemKey.device(deviceId),
          UpdateExpression: "SET #status = :revoked, revokedAt = :now",
          ConditionExpression: "#status = :active",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":revoked": "revoked", ":active": "active", ":now": now },
        });
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
      await writeAudit("device.revoke", deviceId, now);
      return true;
    },

    async useNonce(scope, nonce, expiresAtSeconds) {
      try {
        await table.put({
          Item: { ...itemKey.nonce(scope, nonce), type: "nonce", ttl: expiresAtSeconds },
          ConditionExpression: "attribute_not_exists(pk)",
        });
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    async countAttempt(bucket, windowSeconds, max, now) {
      const windowStart = Math.floor(seconds(now) / windowSeconds) * windowSeconds;
      try {
        await table.update({
          Key: itemKey.attempts(bucket, windowStart),
          UpdateExpression: "ADD #count :one SET #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#count) OR #count < :max",
          ExpressionAttributeNames: { "#count": "count", "#ttl": "ttl" },
          ExpressionAttributeValues: { ":one": 1, ":max": max, ":ttl": windowStart + windowSeconds },
        });
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    async getRevocations() {
      const out = await table.get({ Key: itemKey.revocations(), ConsistentRead: true });
      const item = out.Item as { revocations?: Record<string, number>; version?: number } | undefined;
      return { revocations: item?.revocations ?? {}, version: item?.version ?? 0 } satisfies RevocationState;
    },

    async putRevocations(revocations, expectedVersion) {
      try {
        await table.put({
          Item: { ...itemKey.revocations(), type: "revocations", revocations, version: expectedVersion + 1 },
          ConditionExpression: expectedVersion === 0 ? "attribute_not_exists(pk)" : "#version = :v",
          ExpressionAttributeNames: expectedVersion === 0 ? undefined : { "#version": "version" },
          ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ":v": expectedVersion },
        });
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    async pickHost(now) {
      const out = await table.query({
        IndexName: TABLE_INDEX.name,
        KeyConditionExpression: "#gpk = :gpk",
        FilterExpression: "heartbeatAt > :since",
        ExpressionAttributeNames: { "#gpk": TABLE_INDEX.partition },
        ExpressionAttributeValues: { ":gpk": itemKey.hostIndexPartition, ":since": now - HOST_HEARTBEAT.livenessMs },
      });
      // The host id comes from the partition key (which IAM ties to the writer), never
      // from an attribute; items of any other shape in the index are ignored.
      const hosts: { hostId: string; vaultCount: number }[] = [];
      for (const item of out.Items ?? []) {
        const hostId = hostIdOfPartition(item.pk);
        if (hostId === undefined || item.sk !== HOST_SORT_KEY) continue;
        const vaultCount = typeof item.vaultCount === "number" ? item.vaultCount : 0;
        hosts.push({ hostId, vaultCount });
      }
      hosts.sort((a, b) => a.vaultCount - b.vaultCount || a.hostId.localeCompare(b.hostId));
      return hosts[0]?.hostId;
    },
  };
}

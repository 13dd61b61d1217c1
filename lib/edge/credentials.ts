import { mintDeviceUserJwt } from "../nats-auth";
import type { DeviceRecord } from "../store";
import {
  deviceInboxPrefix,
  vaultBroadcastEventSubject,
  vaultDeviceEventSubject,
  vaultRequestSubject,
} from "../subjects";
import type * as z from "../zod";
import type { EdgeContext } from "./context";
import type { NatsCredentialsSchema, VaultSubjectsSchema } from "./schemas";

/** The subjects a device uses for its vault (what its JWT allows). */
export function vaultSubjects(vaultId: string, deviceId: string): z.infer<typeof VaultSubjectsSchema> {
  return {
    request: vaultRequestSubject(vaultId, deviceId),
    deviceEvents: vaultDeviceEventSubject(vaultId, deviceId),
    broadcastEvents: vaultBroadcastEventSubject(vaultId),
    inboxPrefix: deviceInboxPrefix(deviceId),
  };
}

/** Mints fresh NATS credentials for an active device. */
export async function issueNatsCredentials(
  ctx: EdgeContext,
  device: Pick<DeviceRecord, "deviceId" | "vaultId" | "natsPublicKey">,
): Promise<z.infer<typeof NatsCredentialsSchema>> {
  const minted = await mintDeviceUserJwt({
    signing: await ctx.deviceSigningKey(),
    userPublicKey: device.natsPublicKey,
    vaultId: device.vaultId,
    deviceId: device.deviceId,
    ttlSeconds: ctx.jwtTtlSeconds,
    now: ctx.now(),
  });
  return { servers: ctx.natsServers, jwt: minted.jwt, expiresAt: new Date(minted.expiresAt * 1000).toISOString() };
}

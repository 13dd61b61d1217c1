import type { EdgeContext } from "./context";
import { issueNatsCredentials, vaultSubjects } from "./credentials";
import { authenticateDevice } from "./device-auth";
import { limitAttempts } from "./rate-limits";
import type { CredentialsRequest, CredentialsResponse } from "./schemas";

/** Credential refresh: a signed, timestamped, single-use request → a fresh user JWT. */
export async function refreshCredentials(
  ctx: EdgeContext,
  deviceId: string,
  request: CredentialsRequest,
  sourceIp: string,
): Promise<CredentialsResponse> {
  await limitAttempts(ctx.store, "perSource", sourceIp, ctx.now(), "credentials");
  const device = await authenticateDevice(ctx, {
    purpose: "credentials",
    targetDeviceId: deviceId,
    signerDeviceId: deviceId,
    ...request,
  });
  return {
    deviceId,
    nats: await issueNatsCredentials(ctx, device),
    subjects: vaultSubjects(device.vaultId, device.deviceId),
  };
}

import { DevicePathSchema, DeviceRevokeResponseSchema, type EdgeContext, revokeDevice } from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs } from "../shared/request";
import { createRevocationPusher } from "../shared/revocation-pusher";
import type { RouteDefinition } from "../shared/route";
import { secretReaderFromConfig } from "../shared/secrets";

/**
 * `POST /v1/admin/devices/{deviceId}/revoke` (operators, IAM): the same revocation
 * as the device route, on an IAM-authorized path (API Gateway authorizes per route).
 */
export const route: RouteDefinition<EdgeContext> = {
  name: "admin-devices-revoke",
  method: "POST",
  path: "/v1/admin/devices/{deviceId}/revoke",
  auth: "iam",
  summary: "Revoke a device (operators)",
  pathParams: DevicePathSchema,
  success: { status: 200, schema: DeviceRevokeResponseSchema, description: "the device is revoked everywhere" },
  errors: ["BAD_REQUEST", "VALIDATION_FAILED", "UNAUTHENTICATED", "NOT_FOUND", "UNAVAILABLE"],
  successMetric: "DeviceRevocations",
  env: [
    "VETTID_ENV",
    "VETTID_TABLE_NAME",
    "VETTID_NATS_URLS",
    "VETTID_NATS_ACCOUNT_SECRET_ID",
    "VETTID_NATS_OPERATOR_SECRET_ID",
  ],
  async handle(event, ctx) {
    const { path } = inputs<undefined, { deviceId: string }>(event);
    return { body: await revokeDevice(ctx, path.deviceId, { kind: "operator" }) };
  },
};

export const handler = edgeHandler(route, {
  secrets: secretReaderFromConfig,
  revocationPusher: createRevocationPusher,
});

import { DevicePathSchema, DeviceRevokeResponseSchema, type EdgeContext, revokeDevice } from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs } from "../shared/request";
import type { RouteDefinition } from "../shared/route";

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
  success: {
    status: 200,
    schema: DeviceRevokeResponseSchema,
    description:
      "the device is revoked: no new JWTs; its live NATS connections close once the revocation publisher has pushed the account update",
  },
  errors: ["BAD_REQUEST", "VALIDATION_FAILED", "UNAUTHENTICATED", "NOT_FOUND", "UNAVAILABLE"],
  successMetric: "DeviceRevocations",
  // No NATS key and no NATS client: the revocation is recorded in the table, and the
  // revocation publisher (not on the API) pushes it to NATS (docs/decisions/0063).
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS"],
  async handle(event, ctx) {
    const { path } = inputs<undefined, { deviceId: string }>(event);
    return { body: await revokeDevice(ctx, path.deviceId, { kind: "operator" }) };
  },
};

export const handler = edgeHandler(route);

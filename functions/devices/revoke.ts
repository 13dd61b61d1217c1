import {
  DevicePathSchema,
  type DeviceRevokeRequest,
  DeviceRevokeRequestSchema,
  DeviceRevokeResponseSchema,
  type EdgeContext,
  revokeDevice,
} from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs, sourceIp } from "../shared/request";
import { type RouteDefinition, SIGNED_DEVICE_REQUEST_ERRORS } from "../shared/route";

/** `POST /v1/devices/{deviceId}/revoke`: another device of the same user revokes it (signed request). */
export const route: RouteDefinition<EdgeContext> = {
  name: "devices-revoke",
  method: "POST",
  path: "/v1/devices/{deviceId}/revoke",
  auth: "none",
  summary:
    "Revoke a device: signed by a device of the same user, with the vault's signed revocation statement unless it revokes itself",
  body: DeviceRevokeRequestSchema,
  pathParams: DevicePathSchema,
  success: {
    status: 200,
    schema: DeviceRevokeResponseSchema,
    description:
      "the device is revoked: no new JWTs; its live NATS connections close once the revocation publisher has pushed the account update",
  },
  errors: [...SIGNED_DEVICE_REQUEST_ERRORS, "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED"],
  successMetric: "DeviceRevocations",
  // No NATS key and no NATS client: the revocation is recorded in the table, and the
  // revocation publisher (not on the API) pushes it to NATS (docs/decisions/0063).
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS"],
  async handle(event, ctx) {
    const { body, path } = inputs<DeviceRevokeRequest, { deviceId: string }>(event);
    return {
      body: await revokeDevice(ctx, path.deviceId, { kind: "device", request: body, sourceIp: sourceIp(event) }),
    };
  },
};

export const handler = edgeHandler(route);

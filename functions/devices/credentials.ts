import {
  type CredentialsRequest,
  CredentialsRequestSchema,
  CredentialsResponseSchema,
  DevicePathSchema,
  type EdgeContext,
  refreshCredentials,
} from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs, sourceIp } from "../shared/request";
import { type RouteDefinition, SIGNED_DEVICE_REQUEST_ERRORS } from "../shared/route";
import { secretReaderFromConfig } from "../shared/secrets";

/** `POST /v1/devices/{deviceId}/credentials`: a signed, timestamped, single-use request → a fresh JWT. */
export const route: RouteDefinition<EdgeContext> = {
  name: "devices-credentials",
  method: "POST",
  path: "/v1/devices/{deviceId}/credentials",
  auth: "none",
  summary: "Refresh a device's NATS user JWT (request signed with the device's Ed25519 key)",
  body: CredentialsRequestSchema,
  pathParams: DevicePathSchema,
  success: { status: 200, schema: CredentialsResponseSchema, description: "a fresh, short-lived user JWT" },
  errors: [...SIGNED_DEVICE_REQUEST_ERRORS, "RATE_LIMITED"],
  successMetric: "CredentialRefreshes",
  env: [
    "VETTID_ENV",
    "VETTID_TABLE_NAME",
    "VETTID_NATS_URLS",
    "VETTID_NATS_DEVICE_SIGNING_SECRET_ID",
    "VETTID_JWT_TTL_SECONDS",
  ],
  async handle(event, ctx) {
    const { body, path } = inputs<CredentialsRequest, { deviceId: string }>(event);
    return { body: await refreshCredentials(ctx, path.deviceId, body, sourceIp(event)) };
  },
};

export const handler = edgeHandler(route, { secrets: secretReaderFromConfig });

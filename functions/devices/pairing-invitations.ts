import {
  createPairingInvitation,
  DevicePathSchema,
  type EdgeContext,
  type PairingInvitationRequest,
  PairingInvitationRequestSchema,
  PairingInvitationResponseSchema,
} from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs, sourceIp } from "../shared/request";
import { type RouteDefinition, SIGNED_DEVICE_REQUEST_ERRORS } from "../shared/route";

/**
 * `POST /v1/devices/{deviceId}/pairing-invitations`: a device asks, with a request
 * signed by its Ed25519 key, for a single-use invitation into its own vault
 * (docs/decisions/0062).
 */
export const route: RouteDefinition<EdgeContext> = {
  name: "devices-pairing-invitations",
  method: "POST",
  path: "/v1/devices/{deviceId}/pairing-invitations",
  auth: "none",
  summary: "Create a single-use invitation into the device's own vault (request signed with the device's Ed25519 key)",
  body: PairingInvitationRequestSchema,
  pathParams: DevicePathSchema,
  success: {
    status: 201,
    schema: PairingInvitationResponseSchema,
    description: "the invitation and its code (shown once, expires in 10 minutes)",
  },
  errors: [...SIGNED_DEVICE_REQUEST_ERRORS, "RATE_LIMITED"],
  successMetric: "PairingInvitations",
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS"],
  async handle(event, ctx) {
    const { body, path } = inputs<PairingInvitationRequest, { deviceId: string }>(event);
    return { body: await createPairingInvitation(ctx, path.deviceId, body, sourceIp(event)) };
  },
};

export const handler = edgeHandler(route);

import {
  DevicePathSchema,
  type EdgeContext,
  registerVaultIdentity,
  type VaultIdentityRequest,
  VaultIdentityRequestSchema,
  VaultIdentityResponseSchema,
} from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs, sourceIp } from "../shared/request";
import { type RouteDefinition, SIGNED_DEVICE_REQUEST_ERRORS } from "../shared/route";

/**
 * `POST /v1/devices/{deviceId}/vault-identity`: the founding device registers its
 * vault's identity key, once, with a request signed by its Ed25519 key that binds the
 * key too (docs/decisions/0066). Peer revocations are verified against it.
 */
export const route: RouteDefinition<EdgeContext> = {
  name: "devices-vault-identity",
  method: "POST",
  path: "/v1/devices/{deviceId}/vault-identity",
  auth: "none",
  summary: "Register the vault's identity key (the founding device, once; request signed with its Ed25519 key)",
  body: VaultIdentityRequestSchema,
  pathParams: DevicePathSchema,
  success: {
    status: 200,
    schema: VaultIdentityResponseSchema,
    description: "the vault's identity key is registered (again, if it already was)",
  },
  errors: [...SIGNED_DEVICE_REQUEST_ERRORS, "FORBIDDEN", "CONFLICT", "RATE_LIMITED"],
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS"],
  async handle(event, ctx) {
    const { body, path } = inputs<VaultIdentityRequest, { deviceId: string }>(event);
    return { body: await registerVaultIdentity(ctx, path.deviceId, body, sourceIp(event)) };
  },
};

export const handler = edgeHandler(route);

import {
  type EdgeContext,
  ListInvitationsQuerySchema,
  ListInvitationsResponseSchema,
  listInvitations,
} from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs } from "../shared/request";
import type { RouteDefinition } from "../shared/route";

/** `GET /v1/invitations` (operators): invitations without their codes, paginated. */
export const route: RouteDefinition<EdgeContext> = {
  name: "invitations-list",
  method: "GET",
  path: "/v1/invitations",
  auth: "iam",
  summary: "List invitations (operators)",
  query: ListInvitationsQuerySchema,
  success: { status: 200, schema: ListInvitationsResponseSchema, description: "a page of invitations" },
  errors: ["BAD_REQUEST", "VALIDATION_FAILED", "UNAUTHENTICATED"],
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS"],
  async handle(event, ctx) {
    const { query } = inputs<undefined, undefined, { limit?: string; cursor?: string }>(event);
    return { body: await listInvitations(ctx, query ?? {}) };
  },
};

export const handler = edgeHandler(route);

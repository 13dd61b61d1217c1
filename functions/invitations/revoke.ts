import { type EdgeContext, InvitationPathSchema, InvitationSchema, revokeInvitation } from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs } from "../shared/request";
import type { RouteDefinition } from "../shared/route";

/** `POST /v1/invitations/{invitationId}/revoke` (operators). */
export const route: RouteDefinition<EdgeContext> = {
  name: "invitations-revoke",
  method: "POST",
  path: "/v1/invitations/{invitationId}/revoke",
  auth: "iam",
  summary: "Revoke an open invitation (operators)",
  pathParams: InvitationPathSchema,
  success: { status: 200, schema: InvitationSchema, description: "the revoked invitation" },
  errors: ["BAD_REQUEST", "VALIDATION_FAILED", "UNAUTHENTICATED", "NOT_FOUND", "CONFLICT"],
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS"],
  async handle(event, ctx) {
    const { path } = inputs<undefined, { invitationId: string }>(event);
    return { body: await revokeInvitation(ctx, path.invitationId) };
  },
};

export const handler = edgeHandler(route);

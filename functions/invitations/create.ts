import {
  type CreateInvitationRequest,
  CreateInvitationRequestSchema,
  CreateInvitationResponseSchema,
  createInvitation,
  type EdgeContext,
} from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs } from "../shared/request";
import type { RouteDefinition } from "../shared/route";

/** `POST /v1/invitations` (operators): a single-use, expiring invitation code. */
export const route: RouteDefinition<EdgeContext> = {
  name: "invitations-create",
  method: "POST",
  path: "/v1/invitations",
  auth: "iam",
  summary: "Create a single-use invitation (operators)",
  body: CreateInvitationRequestSchema,
  success: {
    status: 201,
    schema: CreateInvitationResponseSchema,
    description: "the invitation and its code (shown once)",
  },
  errors: ["BAD_REQUEST", "VALIDATION_FAILED", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE", "UNAUTHENTICATED"],
  successMetric: "InvitationsCreated",
  env: ["VETTID_ENV", "VETTID_TABLE_NAME", "VETTID_NATS_URLS"],
  async handle(event, ctx) {
    const { body } = inputs<CreateInvitationRequest>(event);
    return { body: await createInvitation(ctx, body, event.principal ?? "unknown") };
  },
};

export const handler = edgeHandler(route);

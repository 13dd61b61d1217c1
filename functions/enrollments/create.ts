import {
  type EdgeContext,
  type EnrollmentRequest,
  EnrollmentRequestSchema,
  EnrollmentResponseSchema,
  enroll,
} from "../../lib/edge";
import { edgeHandler } from "../shared/env-handler";
import { inputs, sourceIp } from "../shared/request";
import type { RouteDefinition } from "../shared/route";
import { secretReaderFromConfig } from "../shared/secrets";

/** `POST /v1/enrollments`: invitation code + device public keys → ids and a NATS user JWT. */
export const route: RouteDefinition<EdgeContext> = {
  name: "enrollments-create",
  method: "POST",
  path: "/v1/enrollments",
  auth: "none",
  summary: "Enroll a device with an invitation code",
  body: EnrollmentRequestSchema,
  success: {
    status: 201,
    schema: EnrollmentResponseSchema,
    description: "the new (or, for the same device, existing) enrollment",
  },
  errors: [
    "BAD_REQUEST",
    "VALIDATION_FAILED",
    "UNSUPPORTED_MEDIA_TYPE",
    "PAYLOAD_TOO_LARGE",
    "INVITATION_INVALID",
    "INVITATION_EXPIRED",
    "INVITATION_USED",
    "INVITATION_REVOKED",
    "DEVICE_REVOKED",
    "CONFLICT",
    "RATE_LIMITED",
  ],
  successMetric: "Enrollments",
  env: [
    "VETTID_ENV",
    "VETTID_TABLE_NAME",
    "VETTID_NATS_URLS",
    "VETTID_NATS_DEVICE_SIGNING_SECRET_ID",
    "VETTID_MANIFEST_URL",
    "VETTID_JWT_TTL_SECONDS",
  ],
  async handle(event, ctx) {
    const { body } = inputs<EnrollmentRequest>(event);
    return { body: await enroll(ctx, body, sourceIp(event)) };
  },
};

export const handler = edgeHandler(route, { secrets: secretReaderFromConfig });

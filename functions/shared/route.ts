import type { $ZodType } from "zod/v4/core";
import type { ErrorCode } from "../../lib/errors";
import type { EdgeSuccessMetric } from "../middleware/edge-metrics";
import type { EdgeEvent } from "../middleware/types";

/** What a route implementation returns; serialized as JSON. */
export interface Reply {
  statusCode?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One REST route: its HTTP binding, auth, input schemas, documented responses,
 * the environment variables its bundle needs, and its implementation.
 */
export interface RouteDefinition<C> {
  /** Bundle and function name, e.g. `enrollments-create`. */
  name: string;
  method: "GET" | "POST";
  /** API Gateway route path, e.g. `/v1/devices/{deviceId}/credentials`. */
  path: string;
  /** `iam`: API Gateway IAM auth (operators); `none`: public or device-signed. */
  auth: "iam" | "none";
  summary: string;
  body?: $ZodType;
  pathParams?: $ZodType;
  query?: $ZodType;
  /** Success status and schema. */
  success: { status: number; schema?: $ZodType; description: string };
  /** Error codes the route can answer with (documented in the OpenAPI file). */
  errors: ErrorCode[];
  /** Environment variables its bundle reads. */
  env: string[];
  /** The business metric counted once per success (functions/middleware/edge-metrics.ts). */
  successMetric?: EdgeSuccessMetric;
  handle(event: EdgeEvent, context: C): Promise<Reply>;
}

/**
 * What a route answering a signed device request can refuse with: a malformed body,
 * then the signature (stale or unverifiable, replayed, a revoked signer); each route
 * adds its own codes.
 */
export const SIGNED_DEVICE_REQUEST_ERRORS: readonly ErrorCode[] = [
  "BAD_REQUEST",
  "VALIDATION_FAILED",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "CHALLENGE_INVALID",
  "REPLAYED_REQUEST",
  "DEVICE_REVOKED",
];

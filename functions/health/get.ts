import { loadConfig, settings } from "../../lib/config";
import { HealthResponseSchema } from "../../lib/edge/schemas";
import * as z from "../../lib/zod";
import { buildHandler, lazyHandler } from "../shared/handler";
import type { RouteDefinition } from "../shared/route";

/** Reported by `GET /v1/health`; bumped with the REST contract. */
export const API_VERSION = "1.0.0";

/** `GET /v1/health`: liveness of the edge itself (no dependency calls, nothing secret). */
export const route: RouteDefinition<Record<string, never>> = {
  name: "health-get",
  method: "GET",
  path: "/v1/health",
  auth: "none",
  summary: "Liveness of the REST edge",
  success: { status: 200, schema: HealthResponseSchema, description: "the edge is up" },
  errors: [],
  env: ["VETTID_ENV"],
  async handle() {
    return { body: { status: "ok", version: API_VERSION } };
  },
};

export const handler = lazyHandler(() =>
  buildHandler(route, {
    environment: loadConfig(z.object({ VETTID_ENV: settings.environment })).VETTID_ENV,
    context: () => ({}),
  }),
);

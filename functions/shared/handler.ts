import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import httpCors from "@middy/http-cors";
import httpSecurityHeaders from "@middy/http-security-headers";
import type { Context } from "aws-lambda";
import { adminAuth } from "../middleware/admin-auth";
import { EDGE_METRICS_NAMESPACE, edgeMetrics } from "../middleware/edge-metrics";
import { jsonBody } from "../middleware/json-body";
import { problemJson } from "../middleware/problem-json";
import { requestLogging } from "../middleware/request-logging";
import type { EdgeEvent, EdgeMiddleware, EdgeResult } from "../middleware/types";
import { validateInput } from "../middleware/validate-input";
import type { RouteDefinition } from "./route";

/** What a handler needs besides its route. */
export interface HandlerDeps<C> {
  environment: string;
  /** Dev-only admin token (local topology). */
  adminToken?: string;
  corsOrigins?: string[];
  logger?: Logger;
  /** EMF metrics (default: namespace `VettID/Edge`, this function's service name). */
  metrics?: Metrics;
  /** The use cases' context, built once per container on first use. */
  context: () => C;
  /**
   * The tracing middlewares of routes that call AWS ({@link tracingMiddlewares} in
   * ./tracing), outermost: the handler runs in an X-Ray subsegment.
   */
  tracing?: EdgeMiddleware[];
}

/**
 * Wraps a route in the edge's Middy stack. `onError` runs in reverse order of `use`:
 * problem+json first, then CORS and security headers are added to it, then the
 * summary log line.
 */
export function buildHandler<C>(route: RouteDefinition<C>, deps: HandlerDeps<C>) {
  const serviceName = edgeServiceName(route.name);
  const logger = deps.logger ?? new Logger({ serviceName });
  const metrics = deps.metrics ?? new Metrics({ namespace: EDGE_METRICS_NAMESPACE, serviceName });
  let context: C | undefined;
  // The X-Ray subsegment around everything (routes that call AWS), the Lambda context
  // on every line (cold_start, function_request_id, xray_trace_id…), then the route's
  // own keys; EMF metrics flushed as each request ends.
  const core = middy<EdgeEvent, EdgeResult, Error, Context>();
  for (const middleware of deps.tracing ?? []) core.use(middleware);
  core
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(requestLogging({ logger, route: route.name }));
  core.use(httpSecurityHeaders());
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    core.use(httpCors({ origins: deps.corsOrigins, methods: route.method, headers: "content-type,authorization" }));
  }
  core.use(edgeMetrics({ metrics, ...(route.successMetric ? { successMetric: route.successMetric } : {}) }));
  core.use(problemJson({ logger }));
  if (route.auth === "iam") {
    const options: { environment: string; token?: string } = { environment: deps.environment };
    if (deps.adminToken) options.token = deps.adminToken;
    core.use(adminAuth(options));
  }
  core.use(jsonBody({ required: route.body !== undefined }));
  const schemas: { body?: typeof route.body; path?: typeof route.pathParams; query?: typeof route.query } = {};
  if (route.body) schemas.body = route.body;
  if (route.pathParams) schemas.path = route.pathParams;
  if (route.query) schemas.query = route.query;
  core.use(validateInput(schemas));
  return core.handler(async (event) => {
    context ??= deps.context();
    const reply = await route.handle(event, context);
    const result: EdgeResult = {
      statusCode: reply.statusCode ?? route.success.status,
      headers: { "content-type": "application/json", "cache-control": "no-store", ...reply.headers },
    };
    if (reply.body !== undefined)
      result.body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    return result;
  });
}

/** The Powertools service name of a route's function: one per function. */
export function edgeServiceName(routeName: string): string {
  return `vettid-edge-${routeName}`;
}

/**
 * The exported Lambda handler of a route: the Middy stack is built from the
 * environment on the first invocation, so loading the bundle stays cheap and a
 * configuration error surfaces as a logged 500, never as a leaked message.
 */
export function lazyHandler(build: () => (event: EdgeEvent, context: Context) => Promise<EdgeResult>) {
  let built: ((event: EdgeEvent, context: Context) => Promise<EdgeResult>) | undefined;
  return (event: EdgeEvent, context: Context): Promise<EdgeResult> => {
    built ??= build();
    return built(event, context);
  };
}

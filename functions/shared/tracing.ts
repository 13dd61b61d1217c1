import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import { traceRoute } from "../middleware/trace-route";
import type { EdgeMiddleware } from "../middleware/types";

/**
 * The X-Ray tracer of a function that calls AWS (docs/decisions/0065). Its AWS SDK
 * clients are captured (one subsegment per call, with the operation, status and
 * retries), its handler runs in a `## handler` subsegment annotated with the route
 * and `ColdStart`. It never records a response or a request body: answers carry NATS
 * credentials and invitation codes, so the middleware is told not to, and the stacks
 * set `POWERTOOLS_TRACER_CAPTURE_RESPONSE` and `POWERTOOLS_TRACER_CAPTURE_ERROR` to
 * `false` for every other use (policy rule lambda-tracing). Outgoing HTTP outside the SDK clients is not patched: the edge makes
 * none, and patching `http`/`https` costs init time for nothing.
 *
 * The tracer is on only where Lambda runs the function (`AWS_EXECUTION_ENV`); in
 * tests and the local topology it does nothing. Routes that call no AWS service
 * (`health-get`, `pcr-manifest-get`) carry no tracer: Lambda's active tracing
 * records their invocation segment without one.
 */
export function edgeTracer(serviceName: string): Tracer {
  return new Tracer({ serviceName, captureHTTPsRequests: false });
}

/**
 * The handler's tracing, outermost in its Middy stack: a `## handler` subsegment with
 * the `ColdStart` and service annotations (answers never recorded), and the route and
 * status code as annotations.
 */
export function tracingMiddlewares(tracer: Tracer, route: string): EdgeMiddleware[] {
  return [captureLambdaHandler(tracer, { captureResponse: false }) as EdgeMiddleware, traceRoute(tracer, route)];
}

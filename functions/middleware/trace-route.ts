import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { EdgeMiddleware } from "./types";

/**
 * Annotates the request's trace with its route (searchable in X-Ray, like the
 * service and `ColdStart` annotations the Powertools middleware adds) and, when it
 * ends, its status code. Nothing else of the request or the answer goes into the
 * trace.
 */
export function traceRoute(tracer: Tracer, route: string): EdgeMiddleware {
  const status = (statusCode: number | undefined) => {
    if (statusCode !== undefined) tracer.putAnnotation("statusCode", statusCode);
  };
  return {
    before: async () => {
      tracer.putAnnotation("route", route);
    },
    after: async (request) => status(request.response?.statusCode),
    onError: async (request) => status(request.response?.statusCode),
  };
}

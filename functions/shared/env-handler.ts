import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { EdgeContext } from "../../lib/edge";
import type { EdgeConfig } from "./config";
import { loadEdgeConfig } from "./config";
import { createEdgeContext } from "./context";
import { buildHandler, edgeServiceName, lazyHandler } from "./handler";
import type { RouteDefinition } from "./route";
import type { SecretReader } from "./secrets";
import { edgeTracer, tracingMiddlewares } from "./tracing";

/**
 * The production handler of a route whose context is the edge's use cases. The
 * configuration and the context with its AWS SDK clients are built at init, once per
 * container (a route module calls this at load); the Middy stack on the first
 * invocation. A configuration error is kept and thrown by every invocation instead,
 * so it is logged, and API Gateway answers a generic 500.
 */
export function edgeHandler(
  route: RouteDefinition<EdgeContext>,
  options: { secrets?: (config: EdgeConfig, tracer?: Tracer) => SecretReader } = {},
) {
  // Every route here calls AWS (DynamoDB at least), so each is traced (0065).
  const tracer = edgeTracer(edgeServiceName(route.name));
  let init: { config: EdgeConfig; context: EdgeContext } | { error: unknown };
  try {
    const config = loadEdgeConfig();
    init = { config, context: createEdgeContext({ config, tracer, ...options }) };
  } catch (error) {
    init = { error };
  }
  return lazyHandler(() => {
    if ("error" in init) throw init.error;
    const { config, context } = init;
    const deps: Parameters<typeof buildHandler<EdgeContext>>[1] = {
      environment: config.VETTID_ENV,
      corsOrigins: (config.VETTID_CORS_ORIGINS ?? "").split(",").filter(Boolean),
      context: () => context,
      tracing: tracingMiddlewares(tracer, route.name),
    };
    if (config.VETTID_ADMIN_TOKEN) deps.adminToken = config.VETTID_ADMIN_TOKEN;
    return buildHandler(route, deps);
  });
}

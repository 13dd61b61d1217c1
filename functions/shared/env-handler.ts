import type { EdgeContext, RevocationPusher } from "../../lib/edge";
import type { EdgeConfig } from "./config";
import { loadEdgeConfig } from "./config";
import { createEdgeContext } from "./context";
import { buildHandler, lazyHandler } from "./handler";
import type { RouteDefinition } from "./route";
import type { SecretReader } from "./secrets";

/** The production handler of a route whose context is the edge's use cases. */
export function edgeHandler(
  route: RouteDefinition<EdgeContext>,
  options: {
    secrets?: (config: EdgeConfig) => SecretReader;
    revocationPusher?: (config: EdgeConfig, secrets: SecretReader) => RevocationPusher;
  } = {},
) {
  return lazyHandler(() => {
    const config = loadEdgeConfig();
    const deps: Parameters<typeof buildHandler<EdgeContext>>[1] = {
      environment: config.VETTID_ENV,
      corsOrigins: (config.VETTID_CORS_ORIGINS ?? "").split(",").filter(Boolean),
      context: () => createEdgeContext({ config, ...options }),
    };
    if (config.VETTID_ADMIN_TOKEN) deps.adminToken = config.VETTID_ADMIN_TOKEN;
    return buildHandler(route, deps);
  });
}

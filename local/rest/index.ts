/** Dev-only HTTP → API Gateway HTTP API (payload v2) adapter for the edge handlers. */
export { lambdaContext, type RawHttpRequest, toApiGatewayEventV2 } from "./event";
export { matchRoute, type RouteMatch, type RouteTemplate } from "./router";
export { type LocalRoute, type RestAdapter, startRestAdapter } from "./server";

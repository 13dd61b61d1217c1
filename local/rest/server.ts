import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { listenOnLoopback } from "../loopback-http";
import { lambdaContext, toApiGatewayEventV2 } from "./event";
import { matchRoute } from "./router";

/** A route served by the adapter: its binding and its Lambda handler. */
export interface LocalRoute {
  name: string;
  method: string;
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: handlers take richer event types than the v2 base
  handler: (event: any, context: Context) => Promise<APIGatewayProxyResultV2>;
}

/** A running adapter. */
export interface RestAdapter {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** API Gateway HTTP APIs accept up to 10 MB; the edge needs far less, so the adapter stops at 1 MiB. */
const MAX_REQUEST_BYTES = 1_048_576;

function problem(res: ServerResponse, status: number, code: string, title: string): void {
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(JSON.stringify({ type: `urn:vettid:error:${code.toLowerCase()}`, title, status, code, retryable: false }));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Dev-only: serves Lambda handlers over loopback HTTP, turning each request into a
 * real API Gateway HTTP API payload v2 event and the handler's result back into
 * an HTTP response, as API Gateway does.
 */
export async function startRestAdapter(routes: LocalRoute[], port = 0): Promise<RestAdapter> {
  const server: Server = createServer((req, res) => {
    serve(routes, req, res).catch(() => {
      if (!res.headersSent) problem(res, 500, "INTERNAL", "Internal error");
      else res.destroy();
    });
  });
  const { endpoint, port: bound, stop } = await listenOnLoopback(server, port);
  return { url: endpoint, port: bound, stop };
}

async function serve(routes: LocalRoute[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const { match, pathExists } = matchRoute(routes, method, path);
  const body = await readBody(req);
  if (body === undefined) return problem(res, 413, "PAYLOAD_TOO_LARGE", "The request is too large");
  if (!match) {
    return pathExists
      ? problem(res, 405, "METHOD_NOT_ALLOWED", "Method not allowed")
      : problem(res, 404, "NOT_FOUND", "Not found");
  }
  const event: APIGatewayProxyEventV2 = toApiGatewayEventV2(
    { method, url: req.url ?? "/", headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? "127.0.0.1" },
    `${match.route.method} ${match.route.path}`,
    match.pathParameters,
  );
  const result = await match.route.handler(event, lambdaContext(match.route.name, event.requestContext.requestId));
  if (typeof result === "string" || result === undefined || result === null) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(typeof result === "string" ? result : "");
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers["set-cookie"] = result.cookies;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8"));
}

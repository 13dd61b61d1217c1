import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";

/** An HTTP request as the adapter received it. */
export interface RawHttpRequest {
  method: string;
  /** Path and query, as on the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  protocol?: string;
}

/**
 * Content types API Gateway passes as text; everything else arrives base64-encoded
 * with `isBase64Encoded: true` (HTTP API payload v2 behaviour).
 */
const TEXT_TYPES = [
  /^text\//i,
  /^application\/(json|xml|javascript|x-www-form-urlencoded)\b/i,
  /^application\/[^;]*\+(json|xml)\b/i,
];

function isText(contentType: string | undefined, body: Buffer): boolean {
  if (!contentType || !TEXT_TYPES.some((re) => re.test(contentType))) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds an API Gateway HTTP API payload v2 event as AWS does: lower-cased headers
 * (repeated ones joined with commas), cookies split out, query parameters
 * (repeated ones joined with commas), `routeKey`, path parameters, and the
 * request context with the caller's source IP.
 */
export function toApiGatewayEventV2(
  request: RawHttpRequest,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url, "http://localhost");
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === "cookie") {
      cookies = (Array.isArray(value) ? value.join("; ") : value).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[key] = Array.isArray(value) ? value.join(",") : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const requestId = randomUUID();
  const contentType = headers["content-type"];
  const hasBody = request.body.length > 0;
  const text = hasBody && isText(contentType, request.body);
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host?.split(":")[0] ?? "127.0.0.1",
      domainPrefix: "local",
      http: {
        method: request.method,
        path: url.pathname,
        protocol: request.protocol ?? "HTTP/1.1",
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: hasBody && !text,
  };
  if (cookies) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (pathParameters) event.pathParameters = pathParameters;
  if (hasBody) event.body = text ? request.body.toString("utf8") : request.body.toString("base64");
  return event;
}

/** A Lambda context for one local invocation (30 s budget like the deployed functions). */
export function lambdaContext(functionName: string, requestId: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

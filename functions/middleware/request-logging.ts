import type { Logger } from "@aws-lambda-powertools/logger";
import type { EdgeMiddleware } from "./types";

/** Options of {@link requestLogging}. */
export interface RequestLoggingOptions {
  logger: Logger;
  route: string;
}

const allowedKeys = new Set(["logger", "route"]);
/** A correlation id a caller may send; anything else is replaced by the request id. */
const CORRELATION_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Adds the route, request id and correlation id to every log line of the request
 * and logs one summary line per request (status and duration; never bodies,
 * headers, keys or tokens).
 */
export function requestLogging(options: RequestLoggingOptions): EdgeMiddleware {
  for (const key of Object.keys(options)) {
    if (!allowedKeys.has(key)) throw new TypeError(`requestLogging: unknown option ${key}`);
  }
  const { logger, route } = options;
  // keyed by event: the local adapter may run several invocations of one handler at once
  const started = new WeakMap<object, number>();
  const done = (event: object, statusCode: number | undefined) =>
    logger.info("request done", {
      statusCode,
      durationMs: Math.round(performance.now() - (started.get(event) ?? performance.now())),
    });
  return {
    before: async (request) => {
      started.set(request.event, performance.now());
      const requestId = request.event.requestContext?.requestId;
      const header = request.event.headers?.["x-correlation-id"];
      logger.resetKeys();
      logger.appendKeys({
        route,
        requestId,
        correlationId: typeof header === "string" && CORRELATION_ID.test(header) ? header : requestId,
      });
    },
    after: async (request) => done(request.event, request.response?.statusCode),
    onError: async (request) => done(request.event, request.response?.statusCode),
  };
}

import type { Logger } from "@aws-lambda-powertools/logger";
import { ERROR_CODES, toVettidError } from "../../lib/errors";
import type { EdgeMiddleware, EdgeResult } from "./types";

/** Options of {@link problemJson}. */
export interface ProblemJsonOptions {
  logger: Logger;
}

const allowedKeys = new Set(["logger"]);

/** Base of the problem `type` URIs; the code follows in lower case. */
export const PROBLEM_TYPE_BASE = "urn:vettid:error:";

/**
 * Maps every error to an RFC 9457 `application/problem+json` response with the
 * stable code from lib/errors. Errors that are not VettidErrors become a generic
 * 500 INTERNAL; every 5xx answers with its code's generic title only (its message
 * and cause are logged, never sent).
 */
export function problemJson(options: ProblemJsonOptions): EdgeMiddleware {
  for (const key of Object.keys(options)) {
    if (!allowedKeys.has(key)) throw new TypeError(`problemJson: unknown option ${key}`);
  }
  const { logger } = options;
  return {
    onError: async (request) => {
      if (request.response !== undefined && request.error === undefined) return;
      const error = toVettidError(request.error);
      const status = error.httpStatus;
      if (status >= 500) {
        logger.error("request failed", { code: error.code, error: request.error ?? undefined });
      } else {
        logger.info("request refused", { code: error.code, statusCode: status });
      }
      const body: Record<string, unknown> = {
        type: `${PROBLEM_TYPE_BASE}${error.code.toLowerCase()}`,
        // a server-side failure's message names internals (secret ids, settings, upstreams): log it, never send it
        title: status >= 500 ? ERROR_CODES[error.code].title : error.message,
        status,
        code: error.code,
        retryable: error.retryable,
        requestId: request.event?.requestContext?.requestId,
      };
      if (status < 500 && error.message !== body.title) body.detail = error.message;
      const issues = error.details?.issues;
      if (Array.isArray(issues)) body.errors = issues;
      const headers: Record<string, string> = { "content-type": "application/problem+json" };
      const retryAfter = error.details?.retryAfterSeconds;
      if (typeof retryAfter === "number") headers["retry-after"] = String(retryAfter);
      const response: EdgeResult = { statusCode: status, headers, body: JSON.stringify(body) };
      request.response = response;
    },
  };
}

import type { $ZodType } from "zod/v4/core";
import { VettidError } from "../../lib/errors";
import * as z from "../../lib/zod";
import type { EdgeMiddleware } from "./types";

/** Options of {@link validateInput}: a schema per part of the request. */
export interface ValidateInputOptions {
  body?: $ZodType;
  path?: $ZodType;
  query?: $ZodType;
}

const allowedKeys = new Set(["body", "path", "query"]);
/** At most this many issues are reported, each message cut to 200 characters. */
const MAX_ISSUES = 10;

function check(schema: $ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) {
    if (value !== undefined && value !== null && Object.keys(value as object).length > 0) {
      throw new VettidError("VALIDATION_FAILED", `this route takes no ${where} parameters`);
    }
    return undefined;
  }
  const result = z.safeParse(schema, value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: [where, ...issue.path.map(String)].join(".").slice(0, 200),
    message: issue.message.slice(0, 200),
  }));
  throw new VettidError("VALIDATION_FAILED", "the request failed validation", { details: { issues } });
}

/**
 * Validates the parsed body, path and query parameters with zod schemas (strict
 * objects: extra fields are refused) and sets `event.input`.
 */
export function validateInput(options: ValidateInputOptions): EdgeMiddleware {
  for (const key of Object.keys(options)) {
    if (!allowedKeys.has(key)) throw new TypeError(`validateInput: unknown option ${key}`);
  }
  return {
    before: async (request) => {
      const event = request.event;
      event.input = {
        body: options.body ? check(options.body, event.parsedBody, "body") : undefined,
        path: check(options.path, event.pathParameters, "path"),
        query: check(options.query, event.queryStringParameters, "query"),
      };
    },
  };
}

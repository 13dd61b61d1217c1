import { VettidError } from "../../lib/errors";
import type { EdgeMiddleware } from "./types";

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /** Largest accepted body in bytes. */
  maxBytes?: number;
  /** Whether the route takes a body at all; a route without one refuses any body. */
  required?: boolean;
}

/**
 * 16 KiB: the largest real request (an enrollment: a code, three keys, a name) is
 * under 400 bytes; the rest is head room for future fields, not for abuse.
 */
export const DEFAULT_MAX_BODY_BYTES = 16_384;
const defaults = { maxBytes: DEFAULT_MAX_BODY_BYTES, required: true };
const allowedKeys = new Set(Object.keys(defaults));

/** `application/json`, optionally with `charset=utf-8`; nothing else. */
const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Strict JSON bodies: 415 for any other content type, 413 over the limit, 400 for
 * invalid UTF-8 or JSON or a non-object; sets `event.parsedBody`.
 */
export function jsonBody(options: JsonBodyOptions = {}): EdgeMiddleware {
  for (const key of Object.keys(options)) {
    if (!allowedKeys.has(key)) throw new TypeError(`jsonBody: unknown option ${key}`);
  }
  const { maxBytes, required } = { ...defaults, ...options };
  return {
    before: async (request) => {
      const event = request.event;
      const raw = event.body;
      const hasBody = raw !== undefined && raw !== null && raw.length > 0;
      if (!required) {
        if (hasBody) throw new VettidError("BAD_REQUEST", "this route takes no body");
        return;
      }
      const contentType = event.headers?.["content-type"];
      if (typeof contentType !== "string" || !JSON_CONTENT_TYPE.test(contentType.trim())) {
        throw new VettidError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
      }
      if (!hasBody) throw new VettidError("BAD_REQUEST", "a JSON body is required");
      // base64 inflates by 4/3: compare the decoded size
      const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
      if (bytes.length > maxBytes) {
        throw new VettidError("PAYLOAD_TOO_LARGE", `the body exceeds ${maxBytes} bytes`);
      }
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        throw new VettidError("BAD_REQUEST", "the body is not valid UTF-8");
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new VettidError("BAD_REQUEST", "the body is not valid JSON");
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new VettidError("BAD_REQUEST", "the body must be a JSON object");
      }
      event.parsedBody = parsed;
    },
  };
}

import type { EdgeEvent } from "../middleware/types";

/** The validated inputs of a request, typed by the route. */
export function inputs<B = undefined, P = undefined, Q = undefined>(event: EdgeEvent): { body: B; path: P; query: Q } {
  return (event.input ?? {}) as { body: B; path: P; query: Q };
}

/** The caller's address as API Gateway saw it (never from a header a client controls). */
export function sourceIp(event: EdgeEvent): string {
  return event.requestContext?.http?.sourceIp ?? "unknown";
}

import { createHash, timingSafeEqual } from "node:crypto";
import { VettidError } from "../../lib/errors";
import type { EdgeMiddleware } from "./types";

/** Options of {@link adminAuth}. */
export interface AdminAuthOptions {
  /**
   * The local topology's admin token. Only honoured when the environment is
   * `local` or `dev`; in AWS the route uses IAM auth and API Gateway sets
   * `requestContext.authorizer.iam`.
   */
  token?: string;
  environment: string;
}

const allowedKeys = new Set(["token", "environment"]);
const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Operator routes: accept a request that API Gateway authorized with IAM, or (dev
 * only) one that carries `Authorization: Bearer <admin token>`. Sets `event.principal`.
 */
export function adminAuth(options: AdminAuthOptions): EdgeMiddleware {
  for (const key of Object.keys(options)) {
    if (!allowedKeys.has(key)) throw new TypeError(`adminAuth: unknown option ${key}`);
  }
  const devToken =
    options.token && (options.environment === "local" || options.environment === "dev")
      ? digest(options.token)
      : undefined;
  return {
    before: async (request) => {
      const event = request.event;
      const iam = event.requestContext?.authorizer?.iam;
      if (iam?.userArn) {
        event.principal = iam.userArn;
        return;
      }
      const header = event.headers?.authorization;
      const match = typeof header === "string" ? /^Bearer ([A-Za-z0-9_-]{16,256})$/.exec(header) : null;
      if (devToken && match?.[1] && timingSafeEqual(digest(match[1]), devToken)) {
        event.principal = "local-admin";
        return;
      }
      throw new VettidError("UNAUTHENTICATED", "operator credentials are required");
    },
  };
}

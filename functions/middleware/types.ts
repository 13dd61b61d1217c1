import type middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";

/** The API Gateway HTTP API (payload v2) event, plus what our middlewares add. */
export interface EdgeEvent extends APIGatewayProxyEventV2 {
  /** The parsed JSON body (set by jsonBody). */
  parsedBody?: unknown;
  /** Validated inputs (set by validateInput). */
  input?: { body?: unknown; path?: unknown; query?: unknown };
  /** Who the caller is, when an auth middleware ran. */
  principal?: string;
  /** The IAM authorizer context API Gateway adds on IAM-authorized routes. */
  requestContext: APIGatewayProxyEventV2["requestContext"] & {
    authorizer?: { iam?: { userArn?: string; accountId?: string } };
  };
}

export type EdgeResult = Exclude<APIGatewayProxyResultV2, string>;
export type EdgeRequest = middy.Request<EdgeEvent, EdgeResult, Error, Context>;
export type EdgeMiddleware = middy.MiddlewareObj<EdgeEvent, EdgeResult, Error, Context>;

import { VettidError } from "../errors";
import { type AwsJsonClient, createAwsJsonClient } from "./client";
import { credentialsFromEnvironment } from "./credentials";
import type { AwsJsonServiceName } from "./services";

/**
 * A client configured as Lambda configures a function: region from `AWS_REGION`,
 * credentials from the execution role's environment variables. `endpoint` points
 * it at a local stand-in instead of the regional endpoint.
 */
export function awsJsonClientFromEnvironment(
  service: AwsJsonServiceName,
  options: { endpoint?: string | undefined; env?: Record<string, string | undefined> } = {},
): AwsJsonClient {
  const env = options.env ?? process.env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new VettidError("CONFIG_INVALID", "AWS_REGION is not set");
  return createAwsJsonClient({
    service,
    region,
    credentials: credentialsFromEnvironment(env),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
}

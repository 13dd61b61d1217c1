import type { Tracer } from "@aws-lambda-powertools/tracer";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { VettidError } from "../../lib/errors";

/**
 * What every AWS SDK client of the edge is built with. The SDK's standard retry mode
 * (its default, written out): 3 attempts, its retry quota and backoff (its signer
 * corrects clock skew on its own). Per attempt, 1 s to connect (a regional endpoint answers in
 * milliseconds) and 1.5 s without a byte of the reply. A call's worst case, three
 * attempts of 2.5 s plus the standard mode's backoff before the two retries (at most
 * 0.5 s and 1 s when throttled), is 9 s: within the functions' 10 s timeout
 * (`lambdaTimeoutSeconds`).
 */
export const AWS_CLIENT_SETTINGS = {
  maxAttempts: 3,
  retryMode: "standard",
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500 },
} as const;

/** Options of the client factories. */
export interface AwsClientOptions {
  /**
   * Another endpoint than the regional one (the local stand-ins, from the dev-only
   * `VETTID_DYNAMODB_ENDPOINT` / `VETTID_SECRETS_ENDPOINT`). Without it the SDK
   * resolves the endpoint itself, `AWS_ENDPOINT_URL_DYNAMODB` /
   * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, FIPS and dual-stack settings included.
   */
  endpoint?: string | undefined;
  /** Where `AWS_REGION` is read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Fixed credentials (tests); by default the SDK's chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The function's X-Ray tracer: every call of the client becomes a subsegment. */
  tracer?: Tracer | undefined;
}

/**
 * The region Lambda runs the function in (`AWS_REGION`; the local topology sets it
 * too). Credentials are left to the SDK's default chain, whose first source is the
 * execution role's variables that Lambda sets.
 */
function clientConfig(options: AwsClientOptions) {
  const env = options.env ?? process.env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new VettidError("CONFIG_INVALID", "AWS_REGION is not set");
  return {
    region,
    ...AWS_CLIENT_SETTINGS,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}

/**
 * A DynamoDB document client as the edge's store uses it: plain JavaScript values in
 * and out, `undefined` members dropped (the store writes optional fields as absent).
 */
export function dynamoDbDocumentClient(options: AwsClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient(clientConfig(options));
  options.tracer?.captureAWSv3Client(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** A Secrets Manager client for the edge's secret reader. */
export function secretsManagerClient(options: AwsClientOptions = {}): SecretsManagerClient {
  const client = new SecretsManagerClient(clientConfig(options));
  options.tracer?.captureAWSv3Client(client);
  return client;
}

/**
 * A small client for the AWS JSON protocols (DynamoDB, Secrets Manager), signed
 * with the AWS SDK's SigV4 signer: what the REST edge's Lambdas use instead of the
 * full SDK clients, whose loading dominated their cold starts (docs/decisions/0047).
 */
export { type AwsJsonClient, type AwsJsonClientOptions, createAwsJsonClient } from "./client";
export {
  type AwsCredentials,
  type CredentialProvider,
  credentialsFromEnvironment,
  staticCredentials,
} from "./credentials";
export { awsJsonClientFromEnvironment } from "./environment";
export { isRetryableFailure, RETRY_POLICY, retryDelayMs } from "./retry";
export { AwsServiceError, errorTypeOf, parseErrorReply } from "./service-error";
export { AWS_JSON_SERVICES, type AwsJsonServiceName, serviceEndpoint } from "./services";
export {
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  MAX_RESPONSE_BYTES,
  nodeHttpTransport,
  REQUEST_TIMEOUT_MS,
  TransportError,
} from "./transport";

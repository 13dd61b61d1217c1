/**
 * The AWS services the REST edge calls, with what their JSON protocol needs:
 * the SigV4 signing name, the `X-Amz-Target` prefix and the content type
 * (`awsJson1_0` for DynamoDB, `awsJson1_1` for Secrets Manager).
 */
export const AWS_JSON_SERVICES = {
  dynamodb: {
    signingName: "dynamodb",
    endpointPrefix: "dynamodb",
    targetPrefix: "DynamoDB_20120810",
    contentType: "application/x-amz-json-1.0",
  },
  secretsmanager: {
    signingName: "secretsmanager",
    endpointPrefix: "secretsmanager",
    targetPrefix: "secretsmanager",
    contentType: "application/x-amz-json-1.1",
  },
} as const;

export type AwsJsonServiceName = keyof typeof AWS_JSON_SERVICES;

/** AWS regions are lowercase words and digits joined by dashes (`us-east-1`, `eu-central-2`). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The regional HTTPS endpoint of a service: `https://<prefix>.<region>.amazonaws.com`,
 * `.amazonaws.com.cn` in the China partition.
 *
 * @example serviceEndpoint("dynamodb", "eu-west-1") // "https://dynamodb.eu-west-1.amazonaws.com"
 */
export function serviceEndpoint(service: AwsJsonServiceName, region: string): string {
  if (!REGION.test(region)) throw new Error(`not an AWS region: ${JSON.stringify(region.slice(0, 40))}`);
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://${AWS_JSON_SERVICES[service].endpointPrefix}.${region}.${suffix}`;
}

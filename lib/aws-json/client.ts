import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { VettidError } from "../errors";
import type { CredentialProvider } from "./credentials";
import { isRetryableFailure, RETRY_POLICY, retryDelayMs } from "./retry";
import { AwsServiceError, parseErrorReply } from "./service-error";
import { AWS_JSON_SERVICES, type AwsJsonServiceName, serviceEndpoint } from "./services";
import { type HttpTransport, nodeHttpTransport, TransportError } from "./transport";

/** Options of {@link createAwsJsonClient}. */
export interface AwsJsonClientOptions {
  service: AwsJsonServiceName;
  /** The signing region, e.g. `eu-central-1` (Lambda's `AWS_REGION`). */
  region: string;
  credentials: CredentialProvider;
  /** Another endpoint than the regional one (the local stand-ins). */
  endpoint?: string;
  transport?: HttpTransport;
  /** Attempts in all, at least 1 (default {@link RETRY_POLICY}). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => Date;
}

/** One AWS JSON-protocol service. */
export interface AwsJsonClient {
  /**
   * Calls one operation (`"GetItem"`, `"GetSecretValue"`) with its JSON input.
   * Rejects with {@link AwsServiceError} for a reply that is an error, and with
   * `VettidError("UNAVAILABLE")` when throttling or transient failures outlast the
   * retries.
   */
  call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T>;
  /** Closes idle connections. */
  close(): void;
}

/** A reply body as a JSON object (an empty body is `{}`), or undefined. */
function parseObject(text: string): Record<string, unknown> | undefined {
  if (text.length === 0) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Operation names are PascalCase words (`GetItem`, `TransactWriteItems`). */
const OPERATION = /^[A-Z][A-Za-z0-9]{1,63}$/;

/**
 * A client for AWS's JSON protocols (`awsJson1_0`/`awsJson1_1`): `POST /` with
 * `X-Amz-Target: <prefix>.<Operation>`, signed with the AWS SDK's own SigV4 signer
 * (`@smithy/signature-v4`), retried like the SDK's standard mode. It exists for
 * Lambda cold starts: loading it costs a few milliseconds where a full SDK v3
 * client costs about a hundred (docs/decisions/0047).
 *
 * @example
 * const dynamodb = createAwsJsonClient({ service: "dynamodb", region, credentials: credentialsFromEnvironment() });
 * const out = await dynamodb.call("GetItem", { TableName, Key: { pk: { S: "x" }, sk: { S: "y" } } });
 */
export function createAwsJsonClient(options: AwsJsonClientOptions): AwsJsonClient {
  const service = AWS_JSON_SERVICES[options.service];
  const url = new URL(options.endpoint ?? serviceEndpoint(options.service, options.region));
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`unsupported endpoint ${url.protocol}`);
  const maxAttempts = options.maxAttempts ?? RETRY_POLICY.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error("maxAttempts must be a positive integer");
  const transport = options.transport ?? nodeHttpTransport();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? (() => new Date());
  const signer = new SignatureV4({
    service: service.signingName,
    region: options.region,
    credentials: options.credentials,
    // the SDK's node:crypto hash, bound to SHA-256 as its own clients bind it
    sha256: Hash.bind(null, "sha256"),
  });

  async function attempt(operation: string, body: string) {
    const signed = await signer.sign(
      {
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname || "/",
        query: {},
        headers: {
          host: url.host,
          "content-type": service.contentType,
          "content-length": String(Buffer.byteLength(body)),
          "x-amz-target": `${service.targetPrefix}.${operation}`,
        },
        body,
      },
      { signingDate: now() },
    );
    try {
      return await transport.send({ url, method: "POST", headers: signed.headers, body });
    } catch (err) {
      const code = err instanceof TransportError ? err.code : "EIO";
      const type = code === "ETIMEDOUT" ? "TimeoutError" : "NetworkError";
      return new AwsServiceError(type, `no reply from ${url.host} (${code})`, 0, undefined, { cause: err });
    }
  }

  return {
    async call<T>(operation: string, input: Record<string, unknown>): Promise<T> {
      if (!OPERATION.test(operation)) throw new Error(`not an operation name: ${JSON.stringify(operation)}`);
      const body = JSON.stringify(input);
      for (let n = 1; ; n += 1) {
        const reply = await attempt(operation, body);
        let failure: AwsServiceError;
        if (reply instanceof AwsServiceError) {
          failure = reply;
        } else if (reply.status >= 200 && reply.status < 300) {
          const parsed = parseObject(reply.body);
          if (parsed) return parsed as T;
          failure = new AwsServiceError("SerializationError", "the reply is not a JSON object", reply.status);
        } else {
          failure = parseErrorReply(reply.status, reply.headers, reply.body);
        }
        if (!isRetryableFailure(failure)) throw failure;
        if (n >= maxAttempts) {
          throw new VettidError(
            "UNAVAILABLE",
            `${options.service} ${operation} failed ${n} times (last: ${failure.type})`,
            { cause: failure },
          );
        }
        await sleep(retryDelayMs(n, options.random));
      }
    },
    close() {
      transport.close();
    },
  };
}

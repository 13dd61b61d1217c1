import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { listenOnLoopback } from "../loopback-http";

/**
 * Dev-only AWS stand-ins that speak the AWS JSON 1.1 protocol, so the production
 * AWS SDK v3 clients run against them unchanged with only `endpoint` configured:
 * `POST /` with `X-Amz-Target: <TargetPrefix>.<Operation>` and a JSON body; errors
 * as HTTP 4xx/5xx with `{"__type": "<ErrorName>", "message": …}` and the
 * `x-amzn-ErrorType` header. Binary members travel base64-encoded, as in AWS.
 * Request signatures (SigV4) are accepted without verification: the stand-ins are
 * on loopback and never hold production data.
 */

/** An error AWS would return, e.g. `new AwsServiceError("ResourceNotFoundException", "…")`. */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "AwsServiceError";
  }
}

/** The input of one operation: the parsed JSON body. */
export type AwsJsonInput = Record<string, unknown>;

/** One AWS JSON 1.1 service (e.g. KMS = `TrentService`, Secrets Manager = `secretsmanager`). */
export interface AwsJsonService {
  /** The part of `X-Amz-Target` before the dot. */
  targetPrefix: string;
  operations: Record<string, (input: AwsJsonInput) => unknown | Promise<unknown>>;
}

/** A running stand-in server. */
export interface AwsStandIn {
  /** Base URL to pass as the SDK client's `endpoint`. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Largest request body accepted (KMS and Secrets Manager cap payloads well below this). */
const MAX_BODY_BYTES = 1_048_576;

/** A TLS server identity (PEM), for a stand-in that must be reached over HTTPS like AWS. */
export interface StandInTls {
  certPem: string;
  keyPem: string;
}

/**
 * Starts one loopback server that serves every given AWS JSON service: HTTP, or HTTPS
 * with `tls` (the KMS stand-in, which the enclave reaches over TLS of its own).
 */
export async function startAwsJsonServer(services: AwsJsonService[], port = 0, tls?: StandInTls): Promise<AwsStandIn> {
  const byPrefix = new Map(services.map((s) => [s.targetPrefix, s]));
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(byPrefix, req, res).catch((err) => sendError(res, new AwsServiceError("InternalFailure", String(err), 500)));
  };
  const server: Server = tls
    ? (createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, onRequest) as unknown as Server)
    : createServer(onRequest);
  const bound = await listenOnLoopback(server, port);
  return tls ? { ...bound, endpoint: bound.endpoint.replace(/^http:/, "https:") } : bound;
}

async function handle(services: Map<string, AwsJsonService>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.headers["x-amz-target"];
  if (req.method !== "POST" || typeof target !== "string" || !target.includes(".")) {
    return sendError(res, new AwsServiceError("UnknownOperationException", "expected POST with X-Amz-Target"));
  }
  const [prefix, operation] = target.split(".", 2) as [string, string];
  const service = services.get(prefix);
  const op = service && Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
  if (!op) return sendError(res, new AwsServiceError("UnknownOperationException", `unsupported operation ${target}`));

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return sendError(res, new AwsServiceError("ValidationException", "request too large"));
    chunks.push(chunk as Buffer);
  }
  let input: AwsJsonInput;
  try {
    const text = Buffer.concat(chunks).toString("utf8");
    const parsed: unknown = text.length === 0 ? {} : JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    input = parsed as AwsJsonInput;
  } catch {
    return sendError(res, new AwsServiceError("SerializationException", "body is not a JSON object"));
  }
  try {
    const output = await op(input);
    const body = JSON.stringify(output ?? {});
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId() });
    res.end(body);
  } catch (err) {
    sendError(
      res,
      err instanceof AwsServiceError ? err : new AwsServiceError("InternalFailure", "internal error", 500),
    );
  }
}

function sendError(res: ServerResponse, err: AwsServiceError): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(err.status, {
    "content-type": "application/x-amz-json-1.1",
    "x-amzn-errortype": err.type,
    "x-amzn-requestid": requestId(),
  });
  res.end(JSON.stringify({ __type: err.type, message: err.message }));
}

function requestId(): string {
  return crypto.randomUUID();
}

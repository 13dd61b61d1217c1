import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** One signed HTTP request to an AWS endpoint. */
export interface HttpRequest {
  url: URL;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

/** Its reply; header names are lowercase. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Sends requests and returns replies; rejects only when no complete reply came. */
export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Closes idle connections. */
  close(): void;
}

/**
 * Largest reply read: DynamoDB pages stop at 1 MB of data, which DynamoDB JSON
 * encodes in at most a few times that; Secrets Manager values are at most 64 KiB.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** A request that makes no progress for this long fails (and may be retried). */
export const REQUEST_TIMEOUT_MS = 5_000;

/** Error of a request that got no complete reply (`code` is Node's, e.g. `ECONNRESET`). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TransportError";
  }
}

/**
 * node:http(s) with keep-alive connections (reused across invocations of a warm
 * Lambda), a per-request inactivity timeout and a bounded reply size.
 */
export function nodeHttpTransport(options: { timeoutMs?: number; maxResponseBytes?: number } = {}): HttpTransport {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
  };
  return {
    send({ url, method, headers, body }) {
      const secure = url.protocol === "https:";
      const send = secure ? httpsRequest : httpRequest;
      return new Promise<HttpResponse>((resolve, reject) => {
        const req = send(url, { method, headers, agent: secure ? agents.https : agents.http }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              // reject first: destroying the reply emits its own "aborted"
              reject(new TransportError(`reply larger than ${maxBytes} bytes`, "ERESPONSETOOLARGE"));
              res.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on("error", (err) => reject(new TransportError(err.message, "ERESPONSE", { cause: err })));
          res.on("aborted", () => reject(new TransportError("reply aborted", "ECONNRESET")));
          res.on("end", () => {
            const replyHeaders: Record<string, string | undefined> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              replyHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: replyHeaders,
              body: Buffer.concat(chunks).toString("utf8"),
            });
          });
        });
        req.setTimeout(timeoutMs, () => {
          req.destroy(new TransportError(`no progress for ${timeoutMs} ms`, "ETIMEDOUT"));
        });
        req.on("error", (err: NodeJS.ErrnoException) => {
          reject(
            err instanceof TransportError ? err : new TransportError(err.message, err.code ?? "EIO", { cause: err }),
          );
        });
        req.end(body);
      });
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

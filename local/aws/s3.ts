import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { assertDevOnly } from "../../lib/config";
import { listenOnLoopback } from "../loopback-http";
import { decodeAwsChunked } from "./s3-chunked";

/**
 * Dev-only S3 stand-in speaking the S3 REST API (path-style addressing, XML
 * errors) for what VettID's SDK calls use: CreateBucket, HeadBucket, PutObject
 * (with `If-Match` / `If-None-Match: *` conditional writes → 412
 * `PreconditionFailed`), GetObject, HeadObject, DeleteObject (with `If-Match`).
 * ETags are quoted MD5 hex, as S3 gives for single-part uploads. A write is
 * committed only after its whole body arrived and its condition was checked, in
 * one synchronous step, so an interrupted upload leaves the previous object whole
 * and two racing conditional writes cannot both win. Why not s3rver:
 * docs/decisions/0032-s3-stand-in.md.
 */

/** An object as stored. */
export interface StoredObject {
  data: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string;
}

/** The stand-in's state; pass the same store to a restarted server to keep objects. */
export interface S3Store {
  buckets: Map<string, Map<string, StoredObject>>;
}

/**
 * Keeps the store somewhere that outlives the process (./s3-directory.ts). Each call
 * is synchronous and made before the answer, inside the commit step, so what was
 * acknowledged is kept and two racing conditional writes still cannot both win.
 */
export interface S3Persistence {
  createBucket(bucket: string): void;
  put(bucket: string, key: string, object: StoredObject): void;
  delete(bucket: string, key: string): void;
}

/** Options of {@link startS3StandIn}. */
export interface S3StandInOptions {
  /** VETTID_ENV; refused unless local / dev. */
  environment: string | undefined;
  port?: number;
  store?: S3Store;
  /** Where every change is also written (absent: the store is memory only). */
  persistence?: S3Persistence;
  /** Buckets to create at start. */
  buckets?: string[];
}

/** A running S3 stand-in. */
export interface S3StandIn {
  /** Pass as the S3 client's `endpoint` together with `forcePathStyle: true`. */
  endpoint: string;
  port: number;
  store: S3Store;
  stop(): Promise<void>;
}

/**
 * Largest request body accepted: S3's single PUT allows 5 GiB, VettID's sealed
 * objects are at most 1 MiB; 16 MiB leaves room for chunk framing and tests.
 */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A fresh, empty store. */
export function createS3Store(): S3Store {
  return { buckets: new Map() };
}

/** Starts the stand-in on loopback. */
export async function startS3StandIn(options: S3StandInOptions): Promise<S3StandIn> {
  assertDevOnly("the S3 stand-in", options.environment);
  const store = options.store ?? createS3Store();
  const persistence = options.persistence;
  for (const bucket of options.buckets ?? []) {
    if (store.buckets.has(bucket)) continue;
    persistence?.createBucket(bucket);
    store.buckets.set(bucket, new Map());
  }
  const server: Server = createServer((req, res) => {
    handle(store, persistence, req, res).catch(() =>
      sendError(res, 500, "InternalError", "We encountered an internal error."),
    );
  });
  return { ...(await listenOnLoopback(server, options.port ?? 0)), store };
}

async function handle(
  store: S3Store,
  persistence: S3Persistence | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const [, bucketName = "", ...rest] = url.pathname.split("/");
  const key = rest.map((part) => decodeURIComponent(part)).join("/");
  if (!BUCKET_NAME.test(bucketName))
    return sendError(res, 400, "InvalidBucketName", "The specified bucket is not valid.");
  const method = req.method ?? "GET";

  if (key === "") {
    if (method === "PUT") {
      await readBody(req);
      if (!store.buckets.has(bucketName)) {
        persistence?.createBucket(bucketName);
        store.buckets.set(bucketName, new Map());
      }
      res.writeHead(200, { location: `/${bucketName}`, ...commonHeaders() }).end();
      return;
    }
    if (method === "HEAD") {
      res.writeHead(store.buckets.has(bucketName) ? 200 : 404, commonHeaders()).end();
      return;
    }
    return sendError(res, 501, "NotImplemented", "Only CreateBucket and HeadBucket are implemented on buckets.");
  }

  const bucket = store.buckets.get(bucketName);
  if (!bucket) return sendError(res, 404, "NoSuchBucket", "The specified bucket does not exist.", bucketName);
  const ifMatch = header(req, "if-match");
  const ifNoneMatch = header(req, "if-none-match");

  switch (method) {
    case "PUT": {
      if (header(req, "x-amz-copy-source") !== undefined) {
        return sendError(res, 501, "NotImplemented", "CopyObject is not implemented.");
      }
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch {
        return sendError(res, 400, "IncompleteBody", "The request body was not complete or too large.");
      }
      if (isAwsChunked(req)) {
        const decoded = decodeAwsChunked(body);
        if (!decoded) return sendError(res, 400, "InvalidRequest", "The aws-chunked body is malformed.");
        body = decoded;
      }
      // Commit point: conditions are checked against the state at the moment the
      // whole body has arrived, and the object is replaced in the same tick.
      const current = bucket.get(key);
      if (ifNoneMatch !== undefined && ifNoneMatch.trim() === "*" && current) {
        return preconditionFailed(res, key);
      }
      if (ifMatch !== undefined) {
        if (!current) return noSuchKey(res, key);
        if (!etagMatches(ifMatch, current.etag)) {
          return preconditionFailed(res, key);
        }
      }
      const etag = `"${createHash("md5").update(body).digest("hex")}"`;
      const stored: StoredObject = {
        data: body,
        etag,
        lastModified: new Date(),
        contentType: header(req, "content-type") ?? "application/octet-stream",
      };
      persistence?.put(bucketName, key, stored);
      bucket.set(key, stored);
      res.writeHead(200, { etag, ...commonHeaders() }).end();
      return;
    }
    case "GET":
    case "HEAD": {
      const object = bucket.get(key);
      if (!object) {
        if (method === "HEAD") return void res.writeHead(404, commonHeaders()).end();
        return noSuchKey(res, key);
      }
      if (ifMatch !== undefined && !etagMatches(ifMatch, object.etag)) {
        return preconditionFailed(res, key);
      }
      if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, object.etag)) {
        return void res.writeHead(304, { etag: object.etag, ...commonHeaders() }).end();
      }
      res.writeHead(200, {
        etag: object.etag,
        "content-length": String(object.data.length),
        "content-type": object.contentType,
        "last-modified": object.lastModified.toUTCString(),
        "accept-ranges": "bytes",
        ...commonHeaders(),
      });
      res.end(method === "GET" ? object.data : undefined);
      return;
    }
    case "DELETE": {
      const object = bucket.get(key);
      if (ifMatch !== undefined) {
        if (!object) return noSuchKey(res, key);
        if (!etagMatches(ifMatch, object.etag)) {
          return preconditionFailed(res, key);
        }
      }
      persistence?.delete(bucketName, key);
      bucket.delete(key);
      res.writeHead(204, commonHeaders()).end();
      return;
    }
    default:
      return sendError(res, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isAwsChunked(req: IncomingMessage): boolean {
  const encoding = header(req, "content-encoding") ?? "";
  const sha = header(req, "x-amz-content-sha256") ?? "";
  return encoding.split(",").some((e) => e.trim() === "aws-chunked") || sha.startsWith("STREAMING-");
}

/** `If-Match` may list several ETags, quoted or not, or `*`. */
function etagMatches(condition: string, etag: string): boolean {
  const bare = etag.replace(/"/g, "");
  return condition.split(",").some((c) => {
    const t = c.trim().replace(/^W\//, "").replace(/"/g, "");
    return t === "*" || t === bare;
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("too large");
    chunks.push(chunk as Buffer);
  }
  if (!req.complete) throw new Error("incomplete");
  return Buffer.concat(chunks);
}

function commonHeaders(): Record<string, string> {
  return {
    "x-amz-request-id": randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase(),
    server: "vettid-s3-stand-in",
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** S3's answer to a failed If-Match / If-None-Match. */
function preconditionFailed(res: ServerResponse, key: string): void {
  sendError(res, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", key);
}

/** S3's answer for a missing object. */
function noSuchKey(res: ServerResponse, key: string): void {
  sendError(res, 404, "NoSuchKey", "The specified key does not exist.", key);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, resource?: string): void {
  if (res.headersSent) return void res.destroy();
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
    (resource ? `<Resource>${escapeXml(resource)}</Resource>` : "") +
    `<RequestId>${commonHeaders()["x-amz-request-id"]}</RequestId></Error>`;
  res.writeHead(status, { "content-type": "application/xml", ...commonHeaders() }).end(xml);
}

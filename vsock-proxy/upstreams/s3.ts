import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { VettidError } from "../../lib/errors";
import { MAX_BLOB_BYTES } from "../../lib/proxy-protocol";
import { fromAwsError } from "./errors";
import type { BlobStore } from "./types";

/**
 * A {@link BlobStore} on one S3 bucket with conditional writes: a put with an
 * expected version sends `If-Match: <etag>`, a first write `If-None-Match: *`, and
 * S3's 412 Precondition Failed becomes `VERSION_CONFLICT`. S3 writes are atomic, so
 * a failed or interrupted put leaves the previous object whole.
 */
export function s3BlobStore(client: S3Client, bucket: string): BlobStore {
  return {
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (out.ContentLength !== undefined && out.ContentLength > MAX_BLOB_BYTES) {
          throw new VettidError("PAYLOAD_TOO_LARGE", "stored object exceeds the blob limit");
        }
        const data = await out.Body?.transformToByteArray();
        if (!data || !out.ETag) throw new VettidError("UNAVAILABLE", "S3 answer lacks a body or an ETag");
        return { data, version: out.ETag };
      } catch (err) {
        const mapped = fromAwsError(err, "GetObject");
        if (mapped.code === "NOT_FOUND") return undefined;
        throw mapped;
      }
    },
    async put(key, data, expectedVersion) {
      try {
        const out = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: data,
            ContentLength: data.length,
            ...(expectedVersion === null ? { IfNoneMatch: "*" } : { IfMatch: expectedVersion }),
          }),
        );
        if (!out.ETag) throw new VettidError("UNAVAILABLE", "S3 answer lacks an ETag");
        return out.ETag;
      } catch (err) {
        const mapped = fromAwsError(err, "PutObject");
        // If-Match on a missing object is a 404 in S3: the expected version is gone.
        if (mapped.code === "NOT_FOUND") throw new VettidError("VERSION_CONFLICT", "the object no longer exists");
        throw mapped;
      }
    },
    async delete(key, expectedVersion) {
      try {
        await client.send(
          new DeleteObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(expectedVersion ? { IfMatch: expectedVersion } : {}),
          }),
        );
      } catch (err) {
        const mapped = fromAwsError(err, "DeleteObject");
        if (mapped.code === "NOT_FOUND" && expectedVersion === undefined) return;
        if (mapped.code === "NOT_FOUND") throw new VettidError("VERSION_CONFLICT", "the object no longer exists");
        throw mapped;
      }
    },
  };
}

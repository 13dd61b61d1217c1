import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { S3Persistence, S3Store, StoredObject } from "./s3";

/**
 * The S3 stand-in's objects on disk (dev only): `<dir>/<bucket>/<sha256(key)>`, one
 * file per object holding a 4-byte big-endian header length, the JSON header (key,
 * ETag, last modified, content type) and the object's bytes. A put is written beside
 * its file and renamed over it, so an object is always the old one or the new one
 * whole, also when the stand-in is killed mid-write; a put survives the death of the
 * stand-in's process (not fsynced: a crash of the machine may lose the last puts).
 * The file name is a hash because an S3 key may be longer than a file name.
 */

interface ObjectHeader {
  key: string;
  etag: string;
  lastModified: string;
  contentType: string;
}

/** The directory, inside a stand-in's own, that {@link openS3Directory} is given. */
export const S3_OBJECTS_DIR = "objects";

/** Bytes of the header length that starts every object file. */
const HEADER_LENGTH_BYTES = 4;

function objectFile(dir: string, bucket: string, key: string): string {
  return join(dir, bucket, createHash("sha256").update(key).digest("hex"));
}

function readObjectFile(path: string): { key: string; object: StoredObject } {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt32BE(0);
  const header = JSON.parse(
    bytes.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + headerLength).toString("utf8"),
  ) as ObjectHeader;
  return {
    key: header.key,
    object: {
      data: bytes.subarray(HEADER_LENGTH_BYTES + headerLength),
      etag: header.etag,
      lastModified: new Date(header.lastModified),
      contentType: header.contentType,
    },
  };
}

/** Reads every bucket and object under `dir` (an empty store when there is none). */
export function readS3Directory(dir: string): S3Store {
  const store: S3Store = { buckets: new Map() };
  if (!existsSync(dir)) return store;
  for (const bucket of readdirSync(dir, { withFileTypes: true })) {
    if (!bucket.isDirectory()) continue;
    const objects = new Map<string, StoredObject>();
    for (const name of readdirSync(join(dir, bucket.name))) {
      if (name.endsWith(".tmp")) continue;
      const { key, object } = readObjectFile(join(dir, bucket.name, name));
      objects.set(key, object);
    }
    store.buckets.set(bucket.name, objects);
  }
  return store;
}

/**
 * The store saved under `dir` and the persistence that keeps it there, for
 * `startS3StandIn({ store, persistence })`.
 *
 * @example
 * const { store, persistence } = openS3Directory(join(stateDir, "s3"));
 * await startS3StandIn({ environment: "local", store, persistence, buckets: ["b"] });
 */
export function openS3Directory(dir: string): { store: S3Store; persistence: S3Persistence } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    store: readS3Directory(dir),
    persistence: {
      createBucket(bucket) {
        mkdirSync(join(dir, bucket), { recursive: true, mode: 0o700 });
      },
      put(bucket, key, object) {
        const header = Buffer.from(
          JSON.stringify({
            key,
            etag: object.etag,
            lastModified: object.lastModified.toISOString(),
            contentType: object.contentType,
          } satisfies ObjectHeader),
        );
        const length = Buffer.alloc(HEADER_LENGTH_BYTES);
        length.writeUInt32BE(header.length);
        const path = objectFile(dir, bucket, key);
        writeFileSync(`${path}.tmp`, Buffer.concat([length, header, object.data]), { mode: 0o600 });
        renameSync(`${path}.tmp`, path);
      },
      delete(bucket, key) {
        rmSync(objectFile(dir, bucket, key), { force: true });
      },
    },
  };
}

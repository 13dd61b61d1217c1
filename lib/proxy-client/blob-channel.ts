import { isVettidError } from "../errors";
import { asRecord, BLOB_OPS, MAX_BLOB_BYTES, readBytes, readString } from "../proxy-protocol";
import type { Requester } from "./requester";
import type { BlobObject } from "./types";

/** Longest version string (an S3 ETag is a quoted 32-hex MD5, multipart ones a bit longer). */
const MAX_VERSION_LENGTH = 128;

/**
 * The `blob` channel of the enclave-side client: sealed objects with conditional
 * writes. Keys are `vaults/<vaultId>/<name>` (lib/proxy-protocol `blobKey`).
 */
export class BlobChannel {
  constructor(private readonly request: Requester) {}

  /** Reads an object; `undefined` when it does not exist. */
  async get(key: string): Promise<BlobObject | undefined> {
    try {
      const body = asRecord(await this.request("blob", BLOB_OPS.get, { key }));
      return {
        data: readBytes(body, "data", MAX_BLOB_BYTES),
        version: readString(body, "version", MAX_VERSION_LENGTH),
      };
    } catch (err) {
      if (isVettidError(err, "NOT_FOUND")) return undefined;
      throw err;
    }
  }

  /**
   * Writes an object only if its current version is `expectedVersion` (`null`: only
   * if it does not exist yet). Resolves with the new version.
   * @throws VettidError `VERSION_CONFLICT` when the object changed since it was read.
   */
  async put(key: string, data: Uint8Array, expectedVersion: string | null): Promise<string> {
    const body = asRecord(await this.request("blob", BLOB_OPS.put, { key, data, expectedVersion }));
    return readString(body, "version", MAX_VERSION_LENGTH);
  }

  /**
   * Deletes an object, if given only when its version is `expectedVersion`.
   * @throws VettidError `VERSION_CONFLICT` when it changed.
   */
  async delete(key: string, expectedVersion?: string): Promise<void> {
    await this.request("blob", BLOB_OPS.delete, { key, expectedVersion: expectedVersion ?? null });
  }
}

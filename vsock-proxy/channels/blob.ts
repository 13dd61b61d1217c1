import { VettidError } from "../../lib/errors";
import type { Frame, FrameValue } from "../../lib/frames";
import {
  asRecord,
  BLOB_OPS,
  MAX_BLOB_BYTES,
  readBytes,
  readOptionalString,
  readString,
} from "../../lib/proxy-protocol";
import { mayUseBlob, type ServedVaults } from "../policy";
import type { BlobStore } from "../upstreams/types";

/** Longest key: `vaults/` + 64-character vault id + `/` + 128-character name. */
const MAX_KEY_LENGTH = 7 + 64 + 1 + 128;
/** Longest version string (an S3 ETag). */
const MAX_VERSION_LENGTH = 128;

/** Dependencies of the `blob` channel. */
export interface BlobChannelDeps {
  store: BlobStore;
  served: ServedVaults;
}

/**
 * The `blob` channel: get / put with expected version / delete of sealed vault
 * objects, only under `vaults/<vaultId>/` of served vaults. A stale expected
 * version fails `VERSION_CONFLICT`; nothing is written then.
 */
export function blobChannel(deps: BlobChannelDeps): (frame: Frame) => Promise<FrameValue> {
  return async (frame): Promise<FrameValue> => {
    const body = asRecord(frame.body);
    const key = readString(body, "key", MAX_KEY_LENGTH);
    if (!mayUseBlob(key, deps.served)) throw new VettidError("FORBIDDEN", "this blob key is not allowed");
    switch (frame.type) {
      case BLOB_OPS.get: {
        const found = await deps.store.get(key);
        if (!found) throw new VettidError("NOT_FOUND", "no such blob");
        return { data: found.data, version: found.version };
      }
      case BLOB_OPS.put: {
        const data = readBytes(body, "data", MAX_BLOB_BYTES);
        const expected = readOptionalString(body, "expectedVersion", MAX_VERSION_LENGTH) ?? null;
        return { version: await deps.store.put(key, data, expected) };
      }
      case BLOB_OPS.delete: {
        await deps.store.delete(key, readOptionalString(body, "expectedVersion", MAX_VERSION_LENGTH));
        return null;
      }
      default:
        throw new VettidError("BAD_REQUEST", "unknown blob operation");
    }
  };
}

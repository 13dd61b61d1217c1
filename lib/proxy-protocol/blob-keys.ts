import { isSubjectId } from "../subjects";

/** Prefix of every sealed vault object in the blob store. */
export const BLOB_KEY_PREFIX = "vaults";

/** Object names within a vault: one path segment of safe characters, not `.` or `..`. */
const NAME_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/;

/**
 * The blob store key of object `name` of `vaultId`: `vaults/<vaultId>/<name>`.
 * @throws TypeError when either part is not a safe token.
 */
export function blobKey(vaultId: string, name: string): string {
  if (!isSubjectId(vaultId)) throw new TypeError("vaultId is not a valid id");
  if (!NAME_PATTERN.test(name)) throw new TypeError("blob name must match [A-Za-z0-9._-]{1,128}");
  return `${BLOB_KEY_PREFIX}/${vaultId}/${name}`;
}

/** Parses a blob key from an untrusted peer; anything else is `undefined`. Never throws. */
export function parseBlobKey(key: unknown): { vaultId: string; name: string } | undefined {
  if (typeof key !== "string" || key.length > 256) return undefined;
  const parts = key.split("/");
  if (parts.length !== 3 || parts[0] !== BLOB_KEY_PREFIX) return undefined;
  const [, vaultId, name] = parts as [string, string, string];
  if (!isSubjectId(vaultId) || !NAME_PATTERN.test(name)) return undefined;
  return { vaultId, name };
}

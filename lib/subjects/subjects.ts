/**
 * The NATS subject scheme (docs/protocol.md §NATS subjects). Every subject a device
 * or a host uses is built here, and every subject received from an untrusted peer
 * is parsed here.
 *
 * | subject | who publishes | who subscribes |
 * | --- | --- | --- |
 * | `vettid.v1.vault.<vaultId>.req.<deviceId>` | that device (requests) | the host serving the vault |
 * | `vettid.v1.vault.<vaultId>.evt.<deviceId>` | the host (events for one device) | that device |
 * | `vettid.v1.vault.<vaultId>.evt.all` | the host (events for every device) | the vault's devices |
 * | `vettid.v1.inbox.<deviceId>.>` | the host (replies) | that device (its inbox prefix) |
 */

/** Version prefix of every VettID subject. */
export const SUBJECT_ROOT = "vettid.v1";

/**
 * Ids that appear in subjects: one NATS token of safe characters. 64 characters is
 * enough for prefixed UUIDs and base32 keys and keeps subjects well below the
 * server's limits.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `id` can stand in a subject token. */
export function isSubjectId(id: unknown): id is string {
  return typeof id === "string" && ID_PATTERN.test(id);
}

function requireId(kind: string, id: string): string {
  if (!isSubjectId(id)) throw new TypeError(`${kind} must match ${ID_PATTERN}`);
  return id;
}

/** Subject on which `deviceId` sends requests to `vaultId`. */
export function vaultRequestSubject(vaultId: string, deviceId: string): string {
  return `${SUBJECT_ROOT}.vault.${requireId("vaultId", vaultId)}.req.${requireId("deviceId", deviceId)}`;
}

/** Wildcard matching every device's requests to `vaultId` (what the serving host subscribes to). */
export function vaultRequestWildcard(vaultId: string): string {
  return `${SUBJECT_ROOT}.vault.${requireId("vaultId", vaultId)}.req.*`;
}

/** Subject of events for one device of a vault. */
export function vaultDeviceEventSubject(vaultId: string, deviceId: string): string {
  return `${SUBJECT_ROOT}.vault.${requireId("vaultId", vaultId)}.evt.${requireId("deviceId", deviceId)}`;
}

/** Subject of events for every device of a vault. */
export function vaultBroadcastEventSubject(vaultId: string): string {
  return `${SUBJECT_ROOT}.vault.${requireId("vaultId", vaultId)}.evt.all`;
}

/** A device's inbox prefix: pass it as the NATS client's `inboxPrefix`. */
export function deviceInboxPrefix(deviceId: string): string {
  return `${SUBJECT_ROOT}.inbox.${requireId("deviceId", deviceId)}`;
}

/** A parsed VettID vault subject. */
export type ParsedSubject =
  | { kind: "request"; vaultId: string; deviceId: string }
  | { kind: "event"; vaultId: string; deviceId: string | "all" }
  | { kind: "inbox"; deviceId: string; rest: string };

/** One id token inside a subject pattern (the body of {@link ID_PATTERN}). */
const ID_TOKEN = "[A-Za-z0-9_-]{1,64}";

/** `vettid.v1.vault.<vaultId>.(req|evt).<deviceId>`: exactly six tokens. */
const VAULT_SUBJECT = new RegExp(`^vettid\\.v1\\.vault\\.(${ID_TOKEN})\\.(req|evt)\\.(${ID_TOKEN})$`);

/** `vettid.v1.inbox.<deviceId>.<token>[.<token>…]`: at least one id token after the device. */
const INBOX_SUBJECT = new RegExp(`^vettid\\.v1\\.inbox\\.(${ID_TOKEN})\\.(${ID_TOKEN}(?:\\.${ID_TOKEN})*)$`);

/**
 * Parses a concrete (wildcard-free) subject of the scheme; anything else is `undefined`.
 * Never throws: use it on subjects from untrusted peers. Each form is one anchored
 * pattern whose tokens cannot contain `.`, so this accepts exactly the subjects whose
 * `.`-separated tokens have the shapes in the table above; the proxy calls it for
 * every message it bridges, hence no intermediate token arrays.
 */
export function parseSubject(subject: unknown): ParsedSubject | undefined {
  if (typeof subject !== "string" || subject.length > 512) return undefined;
  const vault = VAULT_SUBJECT.exec(subject);
  if (vault) {
    const [, vaultId, kind, deviceId] = vault as unknown as [string, string, string, string];
    return kind === "req" ? { kind: "request", vaultId, deviceId } : { kind: "event", vaultId, deviceId };
  }
  const inbox = INBOX_SUBJECT.exec(subject);
  if (inbox) {
    const [, deviceId, rest] = inbox as unknown as [string, string, string];
    return { kind: "inbox", deviceId, rest };
  }
  return undefined;
}

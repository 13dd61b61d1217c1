import { parseBlobKey } from "../lib/proxy-protocol";
import { type ParsedSubject, parseSubject } from "../lib/subjects";

/**
 * Which vaults this host serves. The proxy bridges only their subjects and blobs,
 * so a compromised or confused enclave cannot reach another host's vaults through
 * it (the NATS server's permissions for the host's user are the second fence).
 */
export interface ServedVaults {
  serves(vaultId: string): boolean;
  /** The vault ids served, for the enclave's `ready` message; `"all"` for {@link allVaults}. */
  list(): readonly string[] | "all";
}

/** A fixed set of vault ids, from configuration. */
export function staticServedVaults(vaultIds: Iterable<string>): ServedVaults {
  const set = new Set(vaultIds);
  return { serves: (vaultId) => set.has(vaultId), list: () => [...set] };
}

/**
 * Every vault: for the local topology, where one host serves all vaults and the
 * NATS server's permissions are the fence. Never the production default.
 */
export const allVaults: ServedVaults = { serves: () => true, list: () => "all" };

/** The one wildcard form the enclave may subscribe to: every device's requests to one vault. */
const REQUEST_WILDCARD = /^vettid\.v1\.vault\.([A-Za-z0-9_-]{1,64})\.req\.\*$/;

/** Every vault's requests: only where the host serves every vault (local / dev). */
export const ALL_VAULTS_REQUEST_WILDCARD = "vettid.v1.vault.*.req.*";

/**
 * The enclave may subscribe to the requests of a vault it serves: the concrete
 * `vettid.v1.vault.<vault>.req.<device>` or the wildcard `….req.*`; where the host
 * serves every vault (local / dev), {@link ALL_VAULTS_REQUEST_WILDCARD}. Nothing else
 * (no `>`, no inboxes, no other prefixes).
 */
export function maySubscribe(subject: string, served: ServedVaults): boolean {
  if (subject === ALL_VAULTS_REQUEST_WILDCARD) return served.list() === "all";
  const wildcard = REQUEST_WILDCARD.exec(subject);
  if (wildcard) return served.serves(wildcard[1] as string);
  const parsed = parseSubject(subject);
  return parsed?.kind === "request" && served.serves(parsed.vaultId);
}

/**
 * The enclave may publish events of a vault it serves. Replies to device inboxes
 * go through {@link ReplyGrants}: only to a reply subject the proxy itself
 * delivered with a request.
 */
export function mayPublishEvent(subject: string, served: ServedVaults): boolean {
  const parsed = parseSubject(subject);
  return parsed?.kind === "event" && served.serves(parsed.vaultId);
}

/**
 * The device for which the reply subject of a delivered request may be granted to
 * the enclave, or `undefined` when it may not: only an inbox of the device that sent
 * the request (`….req.<device>` → `vettid.v1.inbox.<device>.…`). NATS does not check a
 * publisher's reply subject, so a device could otherwise make the enclave answer into
 * another device's inbox. Grants are accounted per this device ({@link ReplyGrants}).
 */
export function replyGrantDevice(requestSubject: string, reply: string): string | undefined {
  return replyGrantDeviceOf(parseSubject(requestSubject), reply);
}

/** {@link replyGrantDevice} for a request subject already parsed (the bridge parses each once). */
export function replyGrantDeviceOf(request: ParsedSubject | undefined, reply: string): string | undefined {
  if (request?.kind !== "request") return undefined;
  const inbox = parseSubject(reply);
  return inbox?.kind === "inbox" && inbox.deviceId === request.deviceId ? request.deviceId : undefined;
}

/** Whether the reply subject of a delivered request may be granted ({@link replyGrantDevice}). */
export function mayGrantReply(requestSubject: string, reply: string): boolean {
  return replyGrantDevice(requestSubject, reply) !== undefined;
}

/** The enclave may read and write the blobs of the vaults it serves. */
export function mayUseBlob(key: string, served: ServedVaults): boolean {
  const parsed = parseBlobKey(key);
  return parsed !== undefined && served.serves(parsed.vaultId);
}

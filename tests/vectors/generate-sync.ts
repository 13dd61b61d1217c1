/**
 * Builds tests/vectors/sync-v1.json (docs/protocol.md §Changes): the encoding of a
 * few change events of each kind and the hash chain over them, so a device
 * implementation can check its event parser and its chain against ours. Called by
 * generate.ts; everything here is fixed, so the file is the same every run.
 */
import { sodiumReady } from "../../lib/crypto";
import { type ChangeEvent, encodeChangeEvent, SYNC_LABELS, syncChainStep, syncGenesis } from "../../lib/vault-sync";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The events of the vectors (their `prev` filled in by the chain). */
export function syncEvents(vaultId: string): { events: ChangeEvent[]; encoded: Uint8Array[]; digests: Uint8Array[] } {
  const t0 = 1_796_119_200_000; // 2026-12-01T10:00:00Z
  const drafts = [
    { at: t0, kind: "item.put", name: "bank", type: "login", version: 1, value: utf8('{"user":"anna"}') },
    { at: t0 + 60_000, kind: "item.put", name: "wifi", type: "secret", version: 1, value: utf8("correct horse") },
    { at: t0 + 120_000, kind: "item.put", name: "bank", type: "login", version: 2, value: utf8('{"user":"anna2"}') },
    { at: t0 + 180_000, kind: "item.deleted", name: "wifi" },
    { at: t0 + 240_000, kind: "item.put", name: "café ☕", type: "note", version: 1, value: new Uint8Array(0) },
  ] as const;
  let digest = syncGenesis(vaultId);
  const events: ChangeEvent[] = [];
  const encoded: Uint8Array[] = [];
  const digests: Uint8Array[] = [];
  for (const [i, draft] of drafts.entries()) {
    const event = { ...draft, seq: i + 1, prev: digest } as ChangeEvent;
    const bytes = encodeChangeEvent(event);
    digest = syncChainStep(vaultId, digest, bytes);
    events.push(event);
    encoded.push(bytes);
    digests.push(digest);
  }
  return { events, encoded, digests };
}

/** The vectors as a JSON-ready object. */
export async function syncVectors(): Promise<Record<string, unknown>> {
  await sodiumReady();
  const vaultId = "v_Zp3c8QmR2b7XyL0aKf4TnW";
  const { events, encoded, digests } = syncEvents(vaultId);
  const cases = events.map((event, i) => ({
    event: {
      ...event,
      prev: hex(event.prev),
      ...("value" in event ? { value: hex(event.value) } : {}),
    },
    encoded: hex(encoded[i] as Uint8Array),
    digest: hex(digests[i] as Uint8Array),
  }));
  return {
    description:
      "VettID change events v1 (docs/protocol.md §Changes). Each event is deterministic CBOR (RFC 8949 §4.2.1) of " +
      "{at, seq, kind, name, prev, type, value, version} (item.deleted: {at, seq, kind, name, prev}); `encoded` is the " +
      "exact bytes the chain hashes; `prev` and `value` are byte strings, shown here in hex. " +
      "digest_0 = BLAKE2b-256(labels.genesis ‖ u8 len(vaultId) ‖ vaultId); " +
      "digest_n = BLAKE2b-256(labels.event ‖ u8 len(vaultId) ‖ vaultId ‖ digest_{n-1} ‖ encoded_n), and each event's " +
      "prev is digest_{n-1}; labels and vault id as UTF-8.",
    version: 1,
    labels: SYNC_LABELS,
    vaultId,
    genesis: hex(syncGenesis(vaultId)),
    cases,
    head: { seq: events.length, digest: hex(digests[digests.length - 1] as Uint8Array) },
  };
}

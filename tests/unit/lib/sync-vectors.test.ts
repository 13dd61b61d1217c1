import { sodiumReady } from "../../../lib/crypto";
import {
  type ChangeEvent,
  encodeChangeEvent,
  parseChangeEvent,
  SYNC_LABELS,
  syncChainStep,
  syncGenesis,
  verifyChangeRun,
} from "../../../lib/vault-sync";
import vectors from "../../vectors/sync-v1.json";

const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A case's event with its hex fields as bytes. */
function eventOf(c: (typeof vectors.cases)[number]): ChangeEvent {
  const raw = c.event as Record<string, unknown>;
  return {
    ...raw,
    prev: bytes(raw.prev as string),
    ...(typeof raw.value === "string" ? { value: bytes(raw.value) } : {}),
  } as ChangeEvent;
}

beforeAll(async () => {
  await sodiumReady();
});

describe("change event vectors (tests/vectors/sync-v1.json)", () => {
  it("uses the labels of version 1", () => {
    expect(vectors.labels).toEqual(SYNC_LABELS);
  });

  it("encodes each event as published and parses the published bytes back to it", () => {
    for (const c of vectors.cases) {
      const event = eventOf(c);
      expect(hex(encodeChangeEvent(event))).toBe(c.encoded);
      const parsed = parseChangeEvent(bytes(c.encoded));
      expect({ ...parsed, prev: hex(parsed.prev) }).toEqual({ ...event, prev: hex(event.prev) });
    }
  });

  it("chains from digest 0 of the vault through every published digest to the head", () => {
    // Act
    let digest = syncGenesis(vectors.vaultId);
    expect(hex(digest)).toBe(vectors.genesis);
    for (const c of vectors.cases) {
      expect(c.event.prev).toBe(hex(digest));
      digest = syncChainStep(vectors.vaultId, digest, bytes(c.encoded));
      expect(hex(digest)).toBe(c.digest);
    }
    const run = verifyChangeRun(
      vectors.vaultId,
      bytes(vectors.genesis),
      1,
      vectors.cases.map((c) => bytes(c.encoded)),
    );

    // Assess
    expect(hex(run.end)).toBe(vectors.head.digest);
    expect(run.events).toHaveLength(vectors.head.seq);
  });

  it("gives another vault's chain other digests for the same events", () => {
    expect(hex(syncGenesis(`${vectors.vaultId}x`))).not.toBe(vectors.genesis);
  });
});

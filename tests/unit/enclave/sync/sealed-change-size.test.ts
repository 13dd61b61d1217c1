/**
 * The sync stream's largest message (lib/vault-sync, the stream's `max_msg_size`) is
 * exactly what the sealed format makes of the largest change event.
 */
import { randomBytes, sodiumReady } from "../../../../lib/crypto";
import { MAX_SEALED_CHANGE_BYTES, MAX_SYNC_EVENT_BYTES } from "../../../../lib/vault-sync";
import { sealChange, sealedChangeSeq } from "../../../../vault-enclave/sync/sealed-change";

const VAULT = `vlt_${"c3".repeat(16)}`;

describe("the largest sealed change event", () => {
  beforeAll(sodiumReady);

  it("is MAX_SEALED_CHANGE_BYTES long, and still read as an event", () => {
    // Prepare
    const key = randomBytes(32);

    // Act
    const largest = sealChange(VAULT, 7, new Uint8Array(MAX_SYNC_EVENT_BYTES).fill(1), key);
    const smaller = sealChange(VAULT, 8, new Uint8Array(MAX_SYNC_EVENT_BYTES - 1).fill(1), key);

    // Assess
    expect(largest.length).toBe(MAX_SEALED_CHANGE_BYTES);
    expect(smaller.length).toBe(MAX_SEALED_CHANGE_BYTES - 256);
    expect(sealedChangeSeq(largest)).toBe(7);
    expect(sealedChangeSeq(new Uint8Array(MAX_SEALED_CHANGE_BYTES + 1))).toBeUndefined();
  });
});

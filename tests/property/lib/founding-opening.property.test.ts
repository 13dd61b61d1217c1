/**
 * The founding opening in handshake payload 1 (lib/vault-protocol/founding.ts): bytes
 * from any device, parsed before a vault with no state decides whom it admits. Any input
 * is either exactly an opening or refused `BAD_REQUEST`; an opening opens only the vault
 * id made from it with the same exchange key.
 */
import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import { vaultIdFor } from "../../../lib/vault-id";
import { encodeWire } from "../../../lib/vault-protocol";
import { encodeFoundingOpening, opensVaultId, parseFoundingOpening } from "../../../lib/vault-protocol/founding";

const RUNS = 400;
const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const salt = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe("founding opening (handshake payload 1)", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("round-trips, and opens exactly the vault id made from it with the same exchange key", () => {
    fc.assert(
      fc.property(key, key, key, salt, (signingKey, exchangeKey, otherKey, vaultSalt) => {
        const parsed = parseFoundingOpening(encodeFoundingOpening({ signingKey, vaultSalt }));
        expect(parsed).toEqual({ signingKey, vaultSalt });
        const vaultId = vaultIdFor({ signingKey, exchangeKey }, vaultSalt);
        expect(opensVaultId(vaultId, exchangeKey, parsed as NonNullable<typeof parsed>)).toBe(true);
        fc.pre(Buffer.compare(Buffer.from(otherKey), Buffer.from(exchangeKey)) !== 0);
        expect(opensVaultId(vaultId, otherKey, parsed as NonNullable<typeof parsed>)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it("reads an empty payload as no opening, and refuses any other bytes with BAD_REQUEST only", () => {
    expect(parseFoundingOpening(new Uint8Array(0))).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        try {
          const parsed = parseFoundingOpening(bytes);
          // only an exact opening parses
          expect(parsed?.signingKey).toHaveLength(32);
          expect(parsed?.vaultSalt).toHaveLength(16);
        } catch (err) {
          expect(err).toMatchObject({ code: "BAD_REQUEST" });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a map with another version, key sizes, or any key more or less", () => {
    const good = { v: 1, signingKey: new Uint8Array(32), vaultSalt: new Uint8Array(16) };
    const variants = [
      { ...good, v: 2 },
      { ...good, signingKey: new Uint8Array(31) },
      { ...good, vaultSalt: new Uint8Array(17) },
      { ...good, extra: 1 },
      { v: 1, signingKey: new Uint8Array(32) },
      { ...good, signingKey: "not bytes" },
    ];
    for (const map of variants) {
      expect(() => parseFoundingOpening(encodeWire(map))).toThrow(
        expect.objectContaining({ code: "BAD_REQUEST" }) as unknown as Error,
      );
    }
  });
});

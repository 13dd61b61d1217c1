/**
 * Handshake payload 1 (lib/vault-protocol/founding.ts): bytes from any device, parsed
 * before a vault with no state decides whom it admits and before a runtime takes a
 * vault over. Any input is either exactly a founding opening and/or a take-over, or
 * refused `BAD_REQUEST`; an opening opens only the vault id made from it with the same
 * exchange key.
 */
import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import { vaultIdFor } from "../../../lib/vault-id";
import { encodeWire, type WireMap } from "../../../lib/vault-protocol";
import { encodeHandshakePayload, opensVaultId, parseHandshakePayload } from "../../../lib/vault-protocol/founding";

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
        const parsed = parseHandshakePayload(encodeHandshakePayload({ founding: { signingKey, vaultSalt } })).founding;
        expect(parsed).toEqual({ signingKey, vaultSalt });
        const vaultId = vaultIdFor({ signingKey, exchangeKey }, vaultSalt);
        expect(opensVaultId(vaultId, exchangeKey, parsed as NonNullable<typeof parsed>)).toBe(true);
        fc.pre(Buffer.compare(Buffer.from(otherKey), Buffer.from(exchangeKey)) !== 0);
        expect(opensVaultId(vaultId, otherKey, parsed as NonNullable<typeof parsed>)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it("round-trips every payload a device sends: nothing, an opening, a take-over, or both", () => {
    fc.assert(
      fc.property(fc.option(fc.record({ signingKey: key, vaultSalt: salt })), fc.boolean(), (founding, takeOver) => {
        const payload = { ...(founding ? { founding } : {}), ...(takeOver ? { takeOver } : {}) };
        const encoded = encodeHandshakePayload(payload);
        expect(encoded.length === 0).toBe(!founding && !takeOver);
        expect(parseHandshakePayload(encoded)).toEqual(payload);
      }),
      { numRuns: RUNS },
    );
  });

  it("reads an empty payload as no opening, and refuses any other bytes with BAD_REQUEST only", () => {
    expect(parseHandshakePayload(new Uint8Array(0)).founding).toBeUndefined();
    expect(parseHandshakePayload(new Uint8Array(0))).toEqual({});
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        try {
          const parsed = parseHandshakePayload(bytes);
          // only an exact opening, an exact take-over, or both parse
          expect(parsed.founding !== undefined || parsed.takeOver === true).toBe(true);
          if (parsed.founding) {
            expect(parsed.founding.signingKey).toHaveLength(32);
            expect(parsed.founding.vaultSalt).toHaveLength(16);
          }
        } catch (err) {
          expect(err).toMatchObject({ code: "BAD_REQUEST" });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a map with another version, key sizes, or any key more or less", () => {
    const good = { v: 1, signingKey: new Uint8Array(32), vaultSalt: new Uint8Array(16) };
    const variants: WireMap[] = [
      { ...good, v: 2 },
      { ...good, signingKey: new Uint8Array(31) },
      { ...good, vaultSalt: new Uint8Array(17) },
      { ...good, extra: 1 },
      { v: 1, signingKey: new Uint8Array(32) },
      { ...good, signingKey: "not bytes" },
      { v: 1, vaultSalt: new Uint8Array(16), takeOver: true },
      { ...good, takeOver: false },
      { v: 1, takeOver: 1 },
      { v: 1, takeOver: false },
      { v: 2, takeOver: true },
      { v: 1 },
    ];
    for (const map of variants) {
      expect(() => parseHandshakePayload(encodeWire(map))).toThrow(
        expect.objectContaining({ code: "BAD_REQUEST" }) as unknown as Error,
      );
    }
  });
});

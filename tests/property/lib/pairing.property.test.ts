import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import { VettidError } from "../../../lib/errors";
import {
  encodePairingCode,
  encodeRevocationStatement,
  parsePairingCode,
  parseRevocationStatement,
} from "../../../lib/pairing";
import { encodeResult, parseAnswer } from "../../../lib/vault-protocol";

/**
 * The revocation statement parser (run by the edge on bytes a caller sends) and the
 * device list answer parser (run by the device) on hostile and on valid input.
 */
const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const time = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe("pairing parsers", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("refuse random bytes with a typed error only", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseRevocationStatement(bytes);
          return true;
        } catch (err) {
          return err instanceof VettidError && err.code === "VALIDATION_FAILED";
        }
      }),
    );
  });

  it("round-trip every valid statement, and refuse any one-byte change that is not canonical", () => {
    fc.assert(
      fc.property(id, id, time, fc.nat(), fc.integer({ min: 1, max: 255 }), (vaultId, deviceId, revokedAt, at, x) => {
        const bytes = encodeRevocationStatement({ vaultId, deviceId, revokedAt });
        expect(parseRevocationStatement(bytes)).toEqual({ vaultId, deviceId, revokedAt });
        const changed = new Uint8Array(bytes);
        const pos = at % changed.length;
        changed[pos] = (changed[pos] as number) ^ x;
        try {
          const parsed = parseRevocationStatement(changed);
          // A change that still parses must be a different statement whose bytes it re-encodes to.
          expect(encodeRevocationStatement(parsed)).toEqual(changed);
        } catch (err) {
          expect(err).toBeInstanceOf(VettidError);
        }
      }),
    );
  });

  it("round-trip device lists, and refuse a device entry with an unknown field", () => {
    const device = fc.record({
      deviceId: id,
      status: fc.constantFrom("authorized" as const, "pending" as const),
      label: fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !/\p{Cs}/u.test(s)),
      fingerprint: fc
        .uint8Array({ minLength: 16, maxLength: 16 })
        .map((b) => (Buffer.from(b).toString("hex").match(/.{4}/g) as string[]).join(":")),
      addedAt: time,
      lastUsedAt: fc.option(time, { nil: null }),
      sas: fc.option(fc.stringMatching(/^[0-9]{6}$/), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(device, { maxLength: 8 }), time, (devices, stateVersion) => {
        const body = encodeResult("devices.list", { stateVersion, devices });
        expect(parseAnswer("devices.list", body)).toEqual({ ok: true, result: { stateVersion, devices } });
        if (devices.length > 0) {
          const extra = encodeResult("devices.list", {
            stateVersion,
            devices: [{ ...(devices[0] as (typeof devices)[number]), key: "x" } as never],
          });
          expect(() => parseAnswer("devices.list", extra)).toThrow(VettidError);
        }
      }),
    );
  });
});

describe("pairing codes", () => {
  it("round-trip every secret, typed in any case and grouping, and refuse anything else with a typed error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.string({ maxLength: 40 }), (secret, junk) => {
        const code = encodePairingCode(secret);
        expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}$/);
        expect(parsePairingCode(code.toLowerCase().replace(/-/g, " "))).toEqual(secret);
        try {
          parsePairingCode(junk);
        } catch (err) {
          expect(err).toBeInstanceOf(VettidError);
        }
      }),
    );
  });
});

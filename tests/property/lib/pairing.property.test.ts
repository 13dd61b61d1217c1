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
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const invitation = fc
    .array(fc.constantFrom(...alphabet), { minLength: 16, maxLength: 16 })
    .map((s) => (s.join("").match(/.{4}/g) as string[]).join("-"));
  const secret = fc.uint8Array({ minLength: 20, maxLength: 20 });
  const fingerprint = fc.uint8Array({ minLength: 10, maxLength: 10 });

  beforeAll(async () => {
    await sodiumReady();
  });

  it("round-trip every invitation, secret and fingerprint, typed in any case, grouping and spacing", () => {
    fc.assert(
      fc.property(invitation, secret, fingerprint, fc.constantFrom("", " ", "-", "  "), (inv, s, f, sep) => {
        const code = encodePairingCode({ invitationCode: inv, secret: s, identityFingerprint: f });
        expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){16}$/);
        const typed = code.toLowerCase().replace(/-/g, sep).replace(/0/g, "o").replace(/1/g, "l");
        expect(parsePairingCode(typed)).toEqual({ invitationCode: inv, secret: s, identityFingerprint: f });
      }),
    );
  });

  it("refuse any other text with PAIRING_CODE_INVALID only, never another error", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.array(fc.constantFrom(...alphabet, "-", " ", "U", "*"), { maxLength: 90 }).map((a) => a.join("")),
    );
    fc.assert(
      fc.property(text, (junk) => {
        try {
          const parsed = parsePairingCode(junk);
          // Only a text of 68 symbols with a right checksum parses; it re-encodes to itself.
          expect(encodePairingCode(parsed).replace(/-/g, "")).toBe(
            junk.toUpperCase().replace(/[-\s]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0"),
          );
        } catch (err) {
          expect(err).toBeInstanceOf(VettidError);
          expect((err as VettidError).code).toBe("PAIRING_CODE_INVALID");
        }
      }),
    );
  });

  it("refuse a valid code with one symbol changed, dropped or added, unless the change keeps the checksum", () => {
    fc.assert(
      fc.property(
        invitation,
        secret,
        fingerprint,
        fc.nat(),
        fc.constantFrom(...alphabet),
        fc.constantFrom("change", "drop", "add"),
        (inv, s, f, at, symbol, how) => {
          const symbols = encodePairingCode({ invitationCode: inv, secret: s, identityFingerprint: f }).replace(
            /-/g,
            "",
          );
          const i = at % symbols.length;
          const edited =
            how === "change"
              ? symbols.slice(0, i) + symbol + symbols.slice(i + 1)
              : how === "drop"
                ? symbols.slice(0, i) + symbols.slice(i + 1)
                : symbols.slice(0, i) + symbol + symbols.slice(i);
          if (edited === symbols) return;
          try {
            const parsed = parsePairingCode(edited);
            // 20 checksum bits: a change passes about once in a million, and then it says something else
            expect(how).toBe("change");
            expect(parsed).not.toEqual({ invitationCode: inv, secret: s, identityFingerprint: f });
          } catch (err) {
            expect((err as VettidError).code).toBe("PAIRING_CODE_INVALID");
          }
        },
      ),
    );
  });

  it("say what is wrong: the length (and an ordinary invitation code), a stray character, the checksum", () => {
    const code = encodePairingCode({
      invitationCode: "0000-0000-0000-0000",
      secret: new Uint8Array(20),
      identityFingerprint: new Uint8Array(10),
    });
    expect(() => parsePairingCode("7Q2M-K9TD-XW4H-R8FB")).toThrow(
      /68 symbols .*not 16 \(this looks like an ordinary invitation code\)/,
    );
    expect(() => parsePairingCode(`${code}U`)).toThrow(/"U" is not one/);
    expect(() => parsePairingCode(`${code.slice(0, -1)}${code.endsWith("0") ? "1" : "0"}`)).toThrow(/checksum/);
    expect(() => parsePairingCode("0".repeat(257))).toThrow(VettidError);
  });
});

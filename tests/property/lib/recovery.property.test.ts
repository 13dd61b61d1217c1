import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import { VettidError } from "../../../lib/errors";
import {
  encodeRecoverySecret,
  parseRecoverySecret,
  RECOVERY_CODE_SYMBOLS,
  RECOVERY_SECRET_BYTES,
} from "../../../lib/recovery";

/** The recovery secret's text form (lib/recovery), read from what a person typed. */
describe("recovery secret codes", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  const secret = fc.uint8Array({ minLength: RECOVERY_SECRET_BYTES, maxLength: RECOVERY_SECRET_BYTES });

  it("round-trip every secret, however the person typed the code (case, spaces, no hyphens)", () => {
    fc.assert(
      fc.property(secret, fc.boolean(), (bytes, messy) => {
        const code = encodeRecoverySecret(bytes);
        expect(code.replace(/-/g, "")).toHaveLength(RECOVERY_CODE_SYMBOLS);
        const typed = messy ? ` ${code.toLowerCase().replace(/-/g, " ")} ` : code;
        expect(Buffer.from(parseRecoverySecret(typed))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it("catch one mistyped symbol by its checksum", () => {
    fc.assert(
      fc.property(secret, fc.nat(), fc.integer({ min: 1, max: 31 }), (bytes, at, shift) => {
        const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        const symbols = [...encodeRecoverySecret(bytes).replace(/-/g, "")];
        const pos = at % symbols.length;
        symbols[pos] = alphabet[(alphabet.indexOf(symbols[pos] as string) + shift) % 32] as string;
        try {
          parseRecoverySecret(symbols.join(""));
          return false;
        } catch (err) {
          return err instanceof VettidError && err.code === "VALIDATION_FAILED";
        }
      }),
    );
  });

  it("refuse any other text with VALIDATION_FAILED only", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          parseRecoverySecret(text);
          return true;
        } catch (err) {
          return err instanceof VettidError && err.code === "VALIDATION_FAILED";
        }
      }),
    );
  });
});

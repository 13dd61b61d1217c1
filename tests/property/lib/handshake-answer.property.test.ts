/**
 * Handshake payload 2 (lib/vault-protocol/founding.ts): what the enclave answers in the
 * authenticated message 2, a session's state or a refusal (decision 0079). A device
 * parses it from any enclave it reached; any input is exactly one of the two, or refused
 * `BAD_REQUEST`.
 */
import fc from "fast-check";
import { VettidError } from "../../../lib/errors";
import { ERROR_MESSAGE_CODES, encodeWire, type WireMap } from "../../../lib/vault-protocol";
import { encodeHandshakeAnswer, parseHandshakeAnswer } from "../../../lib/vault-protocol/founding";

const RUNS = 400;
const code = fc.constantFrom(...ERROR_MESSAGE_CODES);

describe("handshake answer (payload 2)", () => {
  it("round-trips a session's state and a refusal", () => {
    fc.assert(
      fc.property(fc.nat(), fc.boolean(), code, fc.string({ maxLength: 500 }), (stateVersion, initialized, c, m) => {
        expect(parseHandshakeAnswer(encodeHandshakeAnswer({ ok: true, stateVersion, initialized }))).toEqual({
          ok: true,
          stateVersion,
          initialized,
        });
        expect(parseHandshakeAnswer(encodeHandshakeAnswer({ ok: false, code: c, message: m }))).toEqual({
          ok: false,
          code: c,
          message: m,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses any other bytes, and any other map, with BAD_REQUEST only", () => {
    const field = fc.constantFrom("stateVersion", "initialized", "refused", "message", "v", "session");
    const value = fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 600 }), fc.uint8Array({ maxLength: 8 }));
    const maps = fc
      .dictionary(field, value, { maxKeys: 4 })
      .map((m) => encodeWire(m as WireMap))
      .filter((b) => b.length > 0);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }), maps), (bytes) => {
        try {
          const parsed = parseHandshakeAnswer(bytes);
          if (parsed.ok) {
            expect(Number.isSafeInteger(parsed.stateVersion) && parsed.stateVersion >= 0).toBe(true);
          } else {
            expect(ERROR_MESSAGE_CODES).toContain(parsed.code);
            expect(parsed.message.length).toBeLessThanOrEqual(500);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(VettidError);
          expect((err as VettidError).code).toBe("BAD_REQUEST");
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("cuts a refusal's message to 500 characters when it encodes one", () => {
    const parsed = parseHandshakeAnswer(
      encodeHandshakeAnswer({ ok: false, code: "FORBIDDEN", message: "x".repeat(900) }),
    );
    expect(parsed).toEqual({ ok: false, code: "FORBIDDEN", message: "x".repeat(500) });
  });
});

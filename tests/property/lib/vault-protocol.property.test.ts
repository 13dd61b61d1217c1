import fc from "fast-check";
import { isVettidError } from "../../../lib/errors";
import {
  encodeDeviceMessage,
  encodeRequest,
  encodeWire,
  parseAnswer,
  parseDeviceMessage,
  parseEnclaveMessage,
  parseRequest,
  VAULT_OPS,
} from "../../../lib/vault-protocol";

const ops = Object.values(VAULT_OPS);

/** Only the typed errors of the protocol may escape a parser of untrusted bytes. */
function typedOnly(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (err) {
    return isVettidError(err) && ["BAD_REQUEST", "VALIDATION_FAILED"].includes(err.code);
  }
}

describe("vault protocol parsers on hostile input", () => {
  it("throw only typed errors on random bytes, for every message kind and operation", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.constantFrom(...ops), (bytes, op) => {
        return (
          typedOnly(() => parseDeviceMessage(bytes)) &&
          typedOnly(() => parseEnclaveMessage(bytes)) &&
          typedOnly(() => parseRequest(op, bytes)) &&
          typedOnly(() => parseAnswer(op, bytes))
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it("throw only typed errors on well-formed CBOR of the wrong shape", () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.string({ maxLength: 16 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(
          fc.constantFrom("v", "t", "nonce", "pin", "name", "ok", "stateVersion", "__proto__", "x"),
          tie("node"),
          {
            maxKeys: 5,
          },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("v", "t", "nonce", "session", "envelope", "ok", "pin", "x"), value, {
          maxKeys: 6,
        }),
        fc.constantFrom(...ops),
        (map, op) => {
          const bytes = encodeWire(map as never);
          return (
            typedOnly(() => parseDeviceMessage(bytes)) &&
            typedOnly(() => parseRequest(op, bytes)) &&
            typedOnly(() => parseAnswer(op, bytes))
          );
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("round-trips valid messages and refuses unknown fields and another version", () => {
    // Prepare
    const attest = encodeDeviceMessage({ t: "attest", nonce: new Uint8Array(32).fill(1) });
    const put = encodeRequest({ op: "items.put", name: "bank", type: "login", value: new Uint8Array([1, 2]) });
    // Act + Assess
    expect(parseDeviceMessage(attest)).toEqual({ t: "attest", nonce: new Uint8Array(32).fill(1) });
    expect(parseRequest("items.put", put)).toEqual({
      op: "items.put",
      name: "bank",
      type: "login",
      value: new Uint8Array([1, 2]),
    });
    expect(() => parseDeviceMessage(encodeWire({ v: 1, t: "attest", nonce: new Uint8Array(32), extra: 1 }))).toThrow(
      /unknown field/,
    );
    expect(() => parseDeviceMessage(encodeWire({ v: 2, t: "attest", nonce: new Uint8Array(32) }))).toThrow(/version/);
    // an attestation asked of other enclaves than the silent ones: 1..4 key digests of 32 bytes
    const avoid = [new Uint8Array(32).fill(7), new Uint8Array(32).fill(8)];
    expect(parseDeviceMessage(encodeDeviceMessage({ t: "attest", nonce: new Uint8Array(32), avoid }))).toEqual({
      t: "attest",
      nonce: new Uint8Array(32),
      avoid,
    });
    for (const bad of [[], Array(5).fill(new Uint8Array(32)), [new Uint8Array(31)], ["text"], new Uint8Array(32)]) {
      expect(() =>
        parseDeviceMessage(encodeWire({ v: 1, t: "attest", nonce: new Uint8Array(32), avoid: bad })),
      ).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }) as unknown as Error);
    }
    expect(() => parseRequest("items.put", encodeWire({ name: "", type: "login", value: new Uint8Array() }))).toThrow(
      /name/,
    );
    expect(() => parseRequest("vault.unlock", encodeWire({ pin: "123" }))).toThrow(/pin/);
    expect(() => parseRequest("vault.destroy", encodeWire({}))).toThrow(/unknown operation/);
  });
});

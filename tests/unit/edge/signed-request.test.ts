import fc from "fast-check";
import { generateDeviceKeys } from "../../../client/device";
import { isFresh, SIGNED_REQUEST_WINDOW_SECONDS, signRequest, verifyRequestSignature } from "../../../lib/edge";

describe("signed device requests", () => {
  const keys = generateDeviceKeys();
  const seed = Buffer.from(keys.signing.seed, "base64url");
  const fields = {
    purpose: "credentials" as const,
    targetDeviceId: "dev_a",
    signerDeviceId: "dev_a",
    timestamp: "2026-11-28T12:00:00.000Z",
    nonce: "bm9uY2Utbm9uY2Utbm9uY2UtMDE",
  };

  test("a signature verifies with the device's public key only", () => {
    // Act
    const signature = signRequest(fields, seed);
    // Assess
    expect(verifyRequestSignature(fields, signature, keys.signing.publicKey)).toBe(true);
    expect(verifyRequestSignature(fields, signature, generateDeviceKeys().signing.publicKey)).toBe(false);
  });

  test("changing any signed field breaks the signature", () => {
    const signature = signRequest(fields, seed);
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(fields) as (keyof typeof fields)[])),
        fc.string({ minLength: 1, maxLength: 20 }),
        (key, value) => {
          fc.pre(value !== fields[key]);
          expect(
            verifyRequestSignature({ ...fields, [key]: value } as typeof fields, signature, keys.signing.publicKey),
          ).toBe(false);
        },
      ),
    );
  });

  test("a forged signature under a small-order key is refused for any message", () => {
    // Prepare: with the identity point as key, (R = identity, S = 0) satisfies the verification equation
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);
    const forged = Buffer.concat([identity, Buffer.alloc(32)]).toString("base64url");
    // Act
    const accepted = verifyRequestSignature(fields, forged, identity.toString("base64url"));
    // Assess
    expect(accepted).toBe(false);
  });

  test("garbage signatures and keys are refused, never thrown", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (signature, key) => {
        expect(verifyRequestSignature(fields, signature, key)).toBe(false);
      }),
    );
  });

  test("timestamps are fresh only within the window", () => {
    // Prepare
    const now = Date.parse(fields.timestamp);
    const edge = SIGNED_REQUEST_WINDOW_SECONDS * 1000;
    // Assess
    expect(isFresh(fields.timestamp, now + edge)).toBe(true);
    expect(isFresh(fields.timestamp, now + edge + 1)).toBe(false);
    expect(isFresh(fields.timestamp, now - edge - 1)).toBe(false);
    expect(isFresh("not a time", now)).toBe(false);
  });
});

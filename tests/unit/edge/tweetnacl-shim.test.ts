import { randomBytes } from "node:crypto";
import fc from "fast-check";
import nacl from "tweetnacl";
import shim from "../../../functions/shims/tweetnacl";

describe("the node:crypto tweetnacl shim of the edge bundles", () => {
  test("derives the same Ed25519 keys and signatures as tweetnacl", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        (seed, message) => {
          // Act
          const ours = shim.sign.keyPair.fromSeed(seed);
          const theirs = nacl.sign.keyPair.fromSeed(seed);
          const signature = shim.sign.detached(message, ours.secretKey);
          // Assess
          expect(Buffer.from(ours.publicKey)).toEqual(Buffer.from(theirs.publicKey));
          expect(Buffer.from(ours.secretKey)).toEqual(Buffer.from(theirs.secretKey));
          expect(Buffer.from(signature)).toEqual(Buffer.from(nacl.sign.detached(message, theirs.secretKey)));
          expect(shim.sign.detached.verify(message, signature, ours.publicKey)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  test("rejects a wrong signature and bad sizes", () => {
    const kp = shim.sign.keyPair.fromSeed(randomBytes(32));
    const message = new TextEncoder().encode("m");
    const signature = shim.sign.detached(message, kp.secretKey);
    signature[0] = (signature[0] ?? 0) ^ 1;
    expect(shim.sign.detached.verify(message, signature, kp.publicKey)).toBe(false);
    expect(shim.sign.detached.verify(message, new Uint8Array(3), kp.publicKey)).toBe(false);
    expect(() => shim.sign.keyPair.fromSeed(new Uint8Array(5))).toThrow();
  });
});

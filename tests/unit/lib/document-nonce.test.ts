/**
 * The document nonce of an attestation asked with `avoid` (lib/vault-protocol/avoid.ts,
 * decision 0078), with the example docs/protocol.md gives.
 */
import { documentNonce } from "../../../lib/vault-protocol";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const nonce = new Uint8Array(32).fill(0x11);
const a = new Uint8Array(32).fill(0xaa);
const b = new Uint8Array(32).fill(0xbb);

describe("documentNonce", () => {
  it("is the device's nonce itself without avoid", () => {
    expect(documentNonce(nonce)).toBe(nonce);
  });

  it("binds the nonce and every avoided digest, in order (the docs/protocol.md example)", () => {
    // Act
    const one = documentNonce(nonce, [a]);
    const two = documentNonce(nonce, [a, b]);

    // Assess
    expect(hex(one)).toBe("7f874e3fcf891939e686d9b2c739b25d6e6122d6a65e2dd3bc0ac741dc820cb5");
    expect(hex(two)).toBe("ca0191820cac3a285ff28b626bcb2f4c9ccb29b8f2f8aa8f2f2efe042ffc0649");
    expect(hex(documentNonce(nonce, [b, a]))).not.toBe(hex(two));
    expect(hex(documentNonce(new Uint8Array(32), [a]))).not.toBe(hex(one));
  });
});

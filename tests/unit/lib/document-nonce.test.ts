/**
 * The nonce of a device's attestation document (lib/vault-protocol/avoid.ts, decision
 * 0078), with the examples docs/protocol.md gives.
 */
import { documentNonce } from "../../../lib/vault-protocol";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const nonce = new Uint8Array(32).fill(0x11);
const a = new Uint8Array(32).fill(0xaa);
const b = new Uint8Array(32).fill(0xbb);

describe("documentNonce", () => {
  it("hashes the device's nonce, and with avoid every digest in order and whether the enclave holds the lease (the docs/protocol.md examples)", () => {
    // Act
    const plain = documentNonce(nonce);
    const other = documentNonce(nonce, [a], false);
    const holder = documentNonce(nonce, [a], true);
    const two = documentNonce(nonce, [a, b], false);

    // Assess
    expect(hex(plain)).toBe("2e588a514f41ced0465e87429257908f5acb365872aa7ab8f8d8cc0ff34570f1");
    expect(hex(other)).toBe("f50959ee97826b7ae6fc47c7f0353f49cce55f234f7421f888aa5418c1316233");
    expect(hex(holder)).toBe("40ab415fad0ad75b502c788e358c8cff0e1920777803cd40d1ee74363ea61868");
    expect(hex(two)).toBe("d73d5504f3603a300f9b82b4695c861a37db44e3ec8e135f9b93338795073280");
    expect(hex(documentNonce(nonce, [b, a], false))).not.toBe(hex(two));
  });

  it("never gives a plain request's nonce for an avoid request, whatever 32 bytes the plain one carries", () => {
    // a host that strips avoid and sends its enclave the nonce the device expects gets a document of another nonce
    const expected = documentNonce(nonce, [a], false);
    expect(hex(documentNonce(expected))).not.toBe(hex(expected));
  });
});

import { verifyAttestation } from "../../../lib/attestation";
import { genuine, rejection } from "./helpers";

/**
 * Single-byte mutations of a genuine AWS document (tests/fixtures/attestation/README.md):
 * every position flipped once, and every byte of the protected header and of the
 * signature changed three ways. Each must be rejected with a reason.
 */
describe("single-byte mutations of a genuine AWS document", () => {
  const { doc, time } = genuine("cape-js-2022-09-15.b64");
  // Layout: 84 | 44 a1 01 38 22 | a0 | 59 LL LL payload | 58 60 signature(96)
  const protectedRange = [1, 6] as const;
  const signatureStart = doc.length - 96;

  it("the unmodified document verifies", async () => {
    await expect(verifyAttestation(doc, { time })).resolves.toBeDefined();
  });

  it("every position with its low bit flipped is rejected", async () => {
    const reasons = new Set<string>();
    for (let i = 0; i < doc.length; i++) {
      const mutated = doc.slice();
      mutated[i]! ^= 0x01;
      const err = await rejection(() => verifyAttestation(mutated, { time }));
      expect(err.reason).not.toBe("");
      reasons.add(err.reason);
    }
    expect(reasons.has("cose_signature")).toBe(true);
  });

  it("every byte of the protected header and of the signature, changed three ways, is rejected", async () => {
    const positions = [
      ...Array.from({ length: protectedRange[1] - protectedRange[0] }, (_, k) => protectedRange[0] + k),
      ...Array.from({ length: 96 }, (_, k) => signatureStart + k),
    ];
    for (const i of positions) {
      for (const mask of [0x80, 0xff, 0x5a]) {
        const mutated = doc.slice();
        mutated[i]! ^= mask;
        const err = await rejection(() => verifyAttestation(mutated, { time }));
        expect(["cose_signature", "protected_header", "algorithm", "cose_structure", "cbor"]).toContain(err.reason);
      }
    }
  });
});

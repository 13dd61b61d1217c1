import fc from "fast-check";
import { verifyAttestation } from "../../../lib/attestation";
import { isVettidError } from "../../../lib/errors";
import { createSimulatedNsm } from "../../../local/nsm-sim";

const ATTESTATION_CODES = ["ATTESTATION_INVALID", "ATTESTATION_UNTRUSTED", "ATTESTATION_STALE", "PCR_NOT_APPROVED"];

async function rejectsCleanly(bytes: Uint8Array, roots: string[]): Promise<boolean> {
  try {
    await verifyAttestation(bytes, { trustedRoots: roots });
    return false;
  } catch (err) {
    return isVettidError(err) && ATTESTATION_CODES.includes(err.code);
  }
}

describe("attestation verifier on hostile input", () => {
  let doc: Uint8Array;
  let roots: string[];

  beforeAll(async () => {
    const nsm = await createSimulatedNsm({ dev: true });
    doc = await nsm.attest({ nonce: Uint8Array.of(1) });
    roots = [nsm.rootCertificatePem];
  });

  it("rejects every truncation of a valid document with a typed error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: doc.length - 1 }), async (cut) => rejectsCleanly(doc.subarray(0, cut), roots)),
      { numRuns: 1000 },
    );
  });

  it("rejects random bytes with a typed error and never crashes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => rejectsCleanly(bytes, roots)),
      { numRuns: 1000 },
    );
  });

  it("rejects random CBOR-shaped COSE arrays", async () => {
    const bstr = fc.uint8Array({ maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(fc.tuple(bstr, bstr, bstr), fc.boolean(), async ([p, payload, sig], tagged) => {
        const { Encoder } = await import("cbor-x");
        const enc = new Encoder({
          useRecords: false,
          tagUint8Array: false,
          useTag259ForMaps: false,
        } as ConstructorParameters<typeof Encoder>[0]);
        const body = enc.encode([p, new Map(), payload, sig]);
        const bytes = tagged ? Uint8Array.of(0xd2, ...body) : body;
        return rejectsCleanly(bytes, roots);
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects the valid document with random trailing or leading bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.boolean(), async (extra, before) => {
        // A lone leading 0xd2 is tag 18 (COSE_Sign1): that form is valid by design.
        fc.pre(!(before && extra.length === 1 && extra[0] === 0xd2));
        const bytes = before ? Uint8Array.of(...extra, ...doc) : Uint8Array.of(...doc, ...extra);
        return rejectsCleanly(bytes, roots);
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects any single-byte change (any position, any value) of a genuine AWS document", async () => {
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const text = readFileSync(join(__dirname, "../../fixtures/attestation/cape-js-2022-09-28.b64"), "utf8");
    const genuine = new Uint8Array(Buffer.from(text.trim(), "base64"));
    const time = new Date("2022-09-28T15:33:27.680Z");
    await verifyAttestation(genuine, { time });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: genuine.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const mutated = genuine.slice();
        mutated[at]! ^= xor;
        try {
          await verifyAttestation(mutated, { time });
          return false;
        } catch (err) {
          return isVettidError(err) && ATTESTATION_CODES.includes(err.code);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

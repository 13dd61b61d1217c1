import { KeyObject, sign } from "node:crypto";
import { sigStructure, verifyAttestation } from "../../../lib/attestation";
import { isVettidError } from "../../../lib/errors";
import { generateP384, type Issued, issue } from "../../../local/nsm-sim/certificates";

/**
 * Attestation documents are strict CBOR (docs/decisions/0050): each document here is
 * signed by a leaf that chains to the test root, so the only thing wrong with the
 * refused ones is their CBOR.
 */
const DAY = 24 * 3600 * 1000;
const now = new Date();
const window = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + DAY) };
const ES384_HEADER = [0xa1, 0x01, 0x38, 0x22]; // {1: -35}

const text = (s: string) => [...head(3, Buffer.byteLength(s)), ...Buffer.from(s)];
const bytes = (b: Uint8Array | number[]) => [...head(2, b.length), ...b];

function head(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** The CBOR of a payload's entries, each `[key, encoded value]`, as a definite map. */
function payloadOf(entries: [string, number[]][]): number[] {
  return [...head(5, entries.length), ...entries.flatMap(([key, value]) => [...text(key), ...value])];
}

interface Layout {
  /** Bytes in front of the COSE array, e.g. `[0xd2]` for tag 18. */
  prefix?: number[];
  /** The COSE array's head. */
  arrayHead?: number[];
  suffix?: number[];
  protectedHeader?: number[];
  /** Bytes in front of the signature's byte string, e.g. a tag. */
  signaturePrefix?: number[];
}

describe("attestation documents are strict CBOR", () => {
  let root: Issued;
  let inter: Issued;
  let leaf: Issued;

  beforeAll(async () => {
    const cert = async (subjectCn: string, issuer?: Issued, ca?: { pathLen: number }) =>
      issue({ subjectCn, keys: await generateP384(), ...window, ...(issuer ? { issuer } : {}), ...(ca ? { ca } : {}) });
    root = await cert("root", undefined, { pathLen: 1 });
    inter = await cert("inter", root, { pathLen: 0 });
    leaf = await cert("leaf", inter);
  });

  /** The entries of a genuine-shaped payload; `extra` are appended, `replace` swaps values by key. */
  function entries(replace: Record<string, number[]> = {}, extra: [string, number[]][] = []): [string, number[]][] {
    const pcr = (n: number) => bytes(new Uint8Array(48).fill(n + 1));
    const base: [string, number[]][] = [
      ["module_id", text("i-0123456789abcdef0-enc0123456789abcdef")],
      ["digest", text("SHA384")],
      ["timestamp", [0x1b, ...Buffer.from(BigInt(now.getTime()).toString(16).padStart(16, "0"), "hex")]],
      ["pcrs", [0xa4, 0x00, ...pcr(0), 0x01, ...pcr(1), 0x02, ...pcr(2), 0x03, ...pcr(3)]],
      ["certificate", bytes(leaf.der)],
      ["cabundle", [0x82, ...bytes(root.der), ...bytes(inter.der)]],
      ["public_key", [0xf6]],
      ["user_data", [0xf6]],
      ["nonce", [0xf6]],
    ];
    return [...base.map(([k, v]): [string, number[]] => [k, replace[k] ?? v]), ...extra];
  }

  /** Signs `payload` with the leaf and lays the document out as asked. */
  function document(payload: number[], layout: Layout = {}): Uint8Array {
    const protectedHeader = Uint8Array.from(layout.protectedHeader ?? ES384_HEADER);
    const payloadBytes = Uint8Array.from(payload);
    const signature = sign("sha384", sigStructure(protectedHeader, payloadBytes), {
      key: KeyObject.from(leaf.privateKey),
      dsaEncoding: "ieee-p1363",
    });
    return Uint8Array.from([
      ...(layout.prefix ?? []),
      ...(layout.arrayHead ?? [0x84]),
      ...bytes(protectedHeader),
      0xa0,
      ...bytes(payloadBytes),
      ...(layout.signaturePrefix ?? []),
      ...bytes(signature),
      ...(layout.suffix ?? []),
    ]);
  }

  /** The code, reason and strict-CBOR rule `doc` is refused with, or "verified". */
  async function outcome(doc: Uint8Array): Promise<unknown> {
    try {
      await verifyAttestation(doc, { trustedRoots: [root.pem] });
    } catch (err) {
      if (!isVettidError(err)) throw err;
      return { code: err.code, reason: err.details?.reason, cbor: (err.cause as { reason?: unknown })?.reason };
    }
    return "verified";
  }

  const invalid = (reason: string, cbor: string) => ({ code: "ATTESTATION_INVALID", reason, cbor });

  it("verifies the document built here, untagged and tagged 18, with a definite or indefinite payload map", async () => {
    const payload = payloadOf(entries());
    expect(await outcome(document(payload))).toBe("verified");
    expect(await outcome(document(payload, { prefix: [0xd2] }))).toBe("verified");
    expect(await outcome(document([0xbf, ...payload.slice(1), 0xff]))).toBe("verified");
  });

  it("refuses a signed payload with a duplicate key, which would otherwise choose the last", async () => {
    const nonce = bytes([1, 2, 3]);
    const duplicateNonce = payloadOf(entries({}, [["nonce", nonce]]));
    const pcr = (n: number) => bytes(new Uint8Array(48).fill(n));
    const duplicatePcr = payloadOf(
      entries({ pcrs: [0xa4, 0x00, ...pcr(1), 0x01, ...pcr(2), 0x02, ...pcr(3), 0x00, ...pcr(4)] }),
    );
    const indefinite = [0xbf, ...duplicateNonce.slice(1), 0xff];

    expect(await outcome(document(duplicateNonce))).toEqual(invalid("payload", "duplicate_key"));
    expect(await outcome(document(duplicatePcr))).toEqual(invalid("payload", "duplicate_key"));
    expect(await outcome(document(indefinite))).toEqual(invalid("payload", "duplicate_key"));
  });

  it("refuses a signed payload carrying a tag, even one cbor-x would turn into plain bytes", async () => {
    const typedArray = payloadOf(entries({ user_data: [0xd8, 0x40, ...bytes([7])] })); // tag 64 (Uint8Array)
    const shared = payloadOf(entries({ cabundle: [0x82, 0xd8, 0x1c, ...bytes(root.der), ...bytes(inter.der)] }));

    expect(await outcome(document(typedArray))).toEqual(invalid("payload", "tag_not_allowed"));
    expect(await outcome(document(shared))).toEqual(invalid("payload", "tag_not_allowed"));
  });

  it("refuses a protected header with a duplicate or text label, a tag or an indefinite length", async () => {
    const payload = payloadOf(entries());
    const layouts: [number[], string][] = [
      [[0xa2, 0x01, 0x26, 0x01, 0x38, 0x22], "duplicate_key"], // alg -7, then alg -35
      [[0xa2, 0x01, 0x38, 0x22, 0x61, 0x78, 0x00], "key_type_not_allowed"],
      [[0xbf, 0x01, 0x38, 0x22, 0xff], "indefinite_length"],
      [[0xa1, 0x01, 0xd8, 0x40, 0x38, 0x22], "tag_not_allowed"],
    ];
    for (const [protectedHeader, rule] of layouts) {
      expect(await outcome(document(payload, { protectedHeader }))).toEqual(invalid("protected_header", rule));
    }
  });

  it("allows tag 18 only on the outermost item, and no indefinite length in the document", async () => {
    const payload = payloadOf(entries());
    expect(await outcome(document(payload, { signaturePrefix: [0xd8, 0x40] }))).toEqual(
      invalid("cbor", "tag_not_allowed"),
    );
    expect(await outcome(document(payload, { prefix: [0xd2, 0xd2] }))).toEqual(invalid("cbor", "tag_not_allowed"));
    expect(await outcome(document(payload, { prefix: [0xd8, 0x1c] }))).toEqual(invalid("cbor", "tag_not_allowed"));
    expect(await outcome(document(payload, { arrayHead: [0x9f], suffix: [0xff] }))).toEqual(
      invalid("cbor", "indefinite_length"),
    );
  });
});

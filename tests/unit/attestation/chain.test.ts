import { KeyObject, sign } from "node:crypto";
import { Encoder } from "cbor-x";
import { sigStructure, verifyAttestation } from "../../../lib/attestation";
import {
  generateEcKeyPair,
  generateP384,
  type Issued,
  type IssueOptions,
  issue,
} from "../../../local/nsm-sim/certificates";
import { rejection } from "./helpers";

const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false,
} as ConstructorParameters<typeof Encoder>[0]);
const DAY = 24 * 3600 * 1000;
const now = new Date();
const window = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + DAY) };

/** Signs a document in the AWS layout with `leaf`, carrying `bundle` (root first). */
function document(
  leaf: Issued,
  bundle: Issued[],
  hash: "sha384" | "sha256" = "sha384",
  reshape: (payload: Uint8Array) => Uint8Array = (p) => p,
): Uint8Array {
  const pcr = (n: number) => new Uint8Array(48).fill(n + 1);
  const payload = reshape(
    encoder.encode(
      new Map<string, unknown>([
        ["module_id", "i-0123456789abcdef0-enc0123456789abcdef"],
        ["digest", "SHA384"],
        ["timestamp", now.getTime()],
        ["pcrs", new Map([0, 1, 2, 3].map((i) => [i, pcr(i)]))],
        ["certificate", leaf.der],
        ["cabundle", bundle.map((c) => c.der)],
        ["public_key", null],
        ["user_data", null],
        ["nonce", null],
      ]),
    ),
  );
  const protectedHeader = Uint8Array.of(0xa1, 0x01, 0x38, 0x22);
  const signature = sign(hash, sigStructure(protectedHeader, payload), {
    key: KeyObject.from(leaf.privateKey),
    dsaEncoding: "ieee-p1363",
  });
  return encoder.encode([protectedHeader, new Map(), payload, signature]);
}

async function cert(subjectCn: string, issuer: Issued | undefined, extra: Partial<IssueOptions> = {}): Promise<Issued> {
  return issue({ subjectCn, keys: await generateP384(), ...window, ...(issuer ? { issuer } : {}), ...extra });
}

describe("certificate chain rules", () => {
  let root: Issued;
  let inter: Issued;
  let roots: string[];

  beforeAll(async () => {
    root = await cert("root", undefined, { ca: { pathLen: 1 } });
    inter = await cert("inter", root, { ca: { pathLen: 0 } });
    roots = [root.pem];
  });

  async function expectReason(doc: Uint8Array, code: string, reason: string, time?: Date) {
    const err = await rejection(() => verifyAttestation(doc, { trustedRoots: roots, ...(time ? { time } : {}) }));
    expect({ code: err.code, reason: err.reason }).toEqual({ code, reason });
    return err.message;
  }

  it("accepts a well-formed root → intermediate → leaf chain", async () => {
    const leaf = await cert("leaf", inter);
    await expect(verifyAttestation(document(leaf, [root, inter]), { trustedRoots: roots })).resolves.toBeDefined();
  });

  it("refuses an intermediate that is not a CA", async () => {
    const notCa = await cert("inter", root, { deviate: { keyUsage: 0x86 } });
    const leaf = await cert("leaf", notCa);
    expect(await expectReason(document(leaf, [root, notCa]), "ATTESTATION_UNTRUSTED", "chain")).toContain("not a CA");
  });

  it("refuses an intermediate without keyCertSign", async () => {
    const noSign = await cert("inter", root, { ca: { pathLen: 0 }, deviate: { keyUsage: 0x80 } });
    const leaf = await cert("leaf", noSign);
    expect(await expectReason(document(leaf, [root, noSign]), "ATTESTATION_UNTRUSTED", "chain")).toContain("keyUsage");
  });

  it("refuses a chain longer than a pathLenConstraint allows", async () => {
    const deeper = await cert("inter2", inter, { ca: {} });
    const leaf = await cert("leaf", deeper);
    expect(await expectReason(document(leaf, [root, inter, deeper]), "ATTESTATION_UNTRUSTED", "chain")).toMatch(
      /allows [01] CAs below it, found 2/,
    );
  });

  it("refuses a leaf that is a CA, or may not sign", async () => {
    const caLeaf = await cert("leaf", inter, { ca: {} });
    await expectReason(document(caLeaf, [root, inter]), "ATTESTATION_UNTRUSTED", "chain");
    const noDigitalSignature = await cert("leaf", inter, { deviate: { keyUsage: 0x20 } });
    expect(await expectReason(document(noDigitalSignature, [root, inter]), "ATTESTATION_UNTRUSTED", "chain")).toContain(
      "digitalSignature",
    );
  });

  it("refuses an unknown critical extension", async () => {
    const leaf = await cert("leaf", inter, { deviate: { criticalExtension: "1.2.3.4.5" } });
    await expectReason(document(leaf, [root, inter]), "ATTESTATION_INVALID", "certificate");
  });

  it("refuses certificates signed with SHA-256 and leaves with a P-256 key", async () => {
    const sha256Leaf = await cert("leaf", inter, { deviate: { hash: "SHA-256" } });
    await expectReason(document(sha256Leaf, [root, inter]), "ATTESTATION_UNTRUSTED", "chain");
    const p256Leaf = await issue({
      subjectCn: "leaf",
      keys: await generateEcKeyPair("P-256"),
      issuer: inter,
      ...window,
    });
    // A P-256 key signs 64-byte signatures: refused before any key is used.
    await expectReason(document(p256Leaf, [root, inter], "sha256"), "ATTESTATION_INVALID", "cose_structure");
  });

  it("refuses a bundle in the wrong order, and a leaf from an impostor intermediate of the same name", async () => {
    const leaf = await cert("leaf", inter);
    await expectReason(document(leaf, [inter, root]), "ATTESTATION_UNTRUSTED", "untrusted_root");
    const impostor = await cert("inter", root, { ca: { pathLen: 0 } });
    const impostorLeaf = await cert("leaf", impostor);
    await expectReason(document(impostorLeaf, [root, inter]), "ATTESTATION_UNTRUSTED", "chain_signature");
  });

  it("refuses certificates outside their validity window at the verification time", async () => {
    const leaf = await cert("leaf", inter);
    const doc = document(leaf, [root, inter]);
    await expectReason(doc, "ATTESTATION_STALE", "validity", new Date(now.getTime() - 2 * DAY));
    await expectReason(doc, "ATTESTATION_STALE", "validity", new Date(now.getTime() + 2 * DAY));
  });

  it("accepts an indefinite-length payload map, as recent NSM versions emit (0xbf … 0xff)", async () => {
    const leaf = await cert("leaf", inter);
    const indefinite = (p: Uint8Array) => {
      expect(p[0]).toBe(0xa9);
      return Uint8Array.of(0xbf, ...p.subarray(1), 0xff);
    };
    await expect(
      verifyAttestation(document(leaf, [root, inter], "sha384", indefinite), { trustedRoots: roots }),
    ).resolves.toBeDefined();
  });
});

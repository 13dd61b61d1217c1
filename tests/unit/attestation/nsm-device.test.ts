import { Decoder, Encoder } from "cbor-x";
import {
  createDeviceNsm,
  decodeAttestationResponse,
  encodeAttestationRequest,
  NSM,
  NsmError,
} from "../../../vault-enclave/nsm";

const enc = new Encoder({ useRecords: false, tagUint8Array: false, useTag259ForMaps: false } as ConstructorParameters<
  typeof Encoder
>[0]);
const dec = new Decoder({ useRecords: false, mapsAsObjects: false });

describe("production NSM binding (vault-enclave/nsm)", () => {
  it("uses the ioctl number of include/uapi/linux/nsm.h", () => {
    expect(NSM.ioctlRaw).toBe(0xc0200a00);
    expect(NSM.requestMaxSize).toBe(4096);
    expect(NSM.responseMaxSize).toBe(12288);
  });

  it("encodes the request as aws-nitro-enclaves-nsm-api's serde_cbor does", () => {
    // Act
    const bytes = encodeAttestationRequest({ nonce: Uint8Array.of(1, 2), publicKey: Uint8Array.of(9) });
    // Assess: {"Attestation": {"user_data": null, "nonce": h'0102', "public_key": h'09'}}
    expect(Buffer.from(bytes).toString("hex")).toBe(
      "a16b4174746573746174696f6ea369757365725f64617461f6656e6f6e636542010" + "26a7075626c69635f6b65794109",
    );
    const decoded = dec.decode(bytes) as Map<string, Map<string, unknown>>;
    expect(decoded.get("Attestation")?.get("user_data")).toBeNull();
  });

  it("refuses oversized fields", () => {
    expect(() => encodeAttestationRequest({ userData: new Uint8Array(1025) })).toThrow(/user_data exceeds/);
  });

  it("decodes a document answer and typed error answers", () => {
    const document = Uint8Array.of(0x84, 1, 2, 3);
    expect(
      decodeAttestationResponse(enc.encode(new Map([["Attestation", new Map([["document", document]])]]))),
    ).toEqual(document);
    expect(() => decodeAttestationResponse(enc.encode(new Map([["Error", "InputTooLarge"]])))).toThrow(
      /refused the attestation request: InputTooLarge/,
    );
    for (const junk of [Uint8Array.of(0xff), enc.encode("Attestation"), enc.encode(new Map([["Attestation", 1]]))]) {
      expect(() => decodeAttestationResponse(junk)).toThrow(NsmError);
    }
  });

  it("refuses an answer that is not strict CBOR: duplicate keys, tags, indefinite lengths", () => {
    // Prepare: {"Attestation": {"document": h'84', "document": h'85'}} and variants
    const text = (s: string) => [0x60 | s.length, ...Buffer.from(s)];
    const wrap = (inner: number[]) => Uint8Array.from([0xa1, ...text("Attestation"), ...inner]);
    const answers: [number[], string][] = [
      [[0xa2, ...text("document"), 0x41, 0x84, ...text("document"), 0x41, 0x85], "duplicate_key"],
      [[0xa1, ...text("document"), 0xd8, 0x40, 0x41, 0x84], "tag_not_allowed"],
      [[0xa1, ...text("document"), 0xd8, 0x1c, 0x41, 0x84], "tag_not_allowed"],
      [[0xbf, ...text("document"), 0x41, 0x84, 0xff], "indefinite_length"],
      [[0xa1, 0x01, 0x41, 0x84], "key_type_not_allowed"],
    ];
    expect(decodeAttestationResponse(wrap([0xa1, ...text("document"), 0x41, 0x84]))).toEqual(Uint8Array.of(0x84));

    for (const [inner, rule] of answers) {
      // Act
      let caught: unknown;
      try {
        decodeAttestationResponse(wrap(inner));
      } catch (err) {
        caught = err;
      }
      // Assess
      expect(caught).toBeInstanceOf(NsmError);
      expect((caught as NsmError).message).toBe(`NSM response is not strict CBOR (${rule})`);
    }
  });

  it("loads, and fails with a clear error when /dev/nsm is absent", async () => {
    const nsm = createDeviceNsm({ devicePath: "/nonexistent/nsm" });
    await expect(nsm.attest({})).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("only exists inside a Nitro Enclave"),
    });
  });

  it("reaches the kernel through koffi: the NSM ioctl on a non-NSM device fails with its errno", async () => {
    // /dev/null answers any ioctl with ENOTTY (25); this exercises open/ioctl/close for real.
    const nsm = createDeviceNsm({ devicePath: "/dev/null" });
    await expect(nsm.attest({ nonce: Uint8Array.of(1) })).rejects.toThrow(
      /ioctl\(NSM_IOCTL_RAW\) on \/dev\/null failed \(errno 25\)/,
    );
  });
});

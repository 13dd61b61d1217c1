import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEnvelopedData, generateRecipientKeyPair, openEnvelopedData } from "../../../lib/cms";

const keys = generateRecipientKeyPair();
const other = generateRecipientKeyPair();
const dataKey = new Uint8Array(32).map((_, i) => i);

describe("CMS EnvelopedData (KMS CiphertextForRecipient)", () => {
  it("round-trips a data key to the enclave's RSA key", () => {
    const der = createEnvelopedData(keys.publicKeySpki, dataKey);
    expect(openEnvelopedData(der, keys.privateKey)).toEqual(dataKey);
  });

  it("does not open with another key", () => {
    const der = createEnvelopedData(keys.publicKeySpki, dataKey);
    expect(() => openEnvelopedData(der, other.privateKey)).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
  });

  it("fails a bad content padding exactly like a wrong key, so the host gets no padding oracle", () => {
    // Prepare: the 32-byte key pads with a full block of 0x10; the DER ends with the
    // 48 ciphertext bytes, so XOR-ing 0x10 into the last byte of the middle block turns
    // the final plaintext byte into 0x00, never a valid PKCS#7 padding.
    const der = createEnvelopedData(keys.publicKeySpki, dataKey);
    const badPadding = new Uint8Array(der);
    badPadding[der.length - 17] = (badPadding[der.length - 17] as number) ^ 0x10;
    const capture = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      throw new Error("expected a failure");
    };

    // Act
    const paddingError = capture(() => openEnvelopedData(badPadding, keys.privateKey)) as Error;
    const wrongKeyError = capture(() => openEnvelopedData(der, other.privateKey)) as Error;

    // Assess
    expect(paddingError).toMatchObject({ code: "FORBIDDEN", message: wrongKeyError.message });
    expect(paddingError.cause).toBeUndefined();
    expect(wrongKeyError.cause).toBeUndefined();
  });

  it("refuses garbage and fails a flipped byte with a typed error, never a crash", () => {
    const der = createEnvelopedData(keys.publicKeySpki, dataKey);
    expect(() => openEnvelopedData(new Uint8Array([0x30, 0x03, 1, 2, 3]), keys.privateKey)).toThrow();
    for (let i = 0; i < der.length; i += 7) {
      const bad = new Uint8Array(der);
      bad[i] = (bad[i] as number) ^ 0x41;
      // A flip in an unauthenticated field (the recipient id, a length the parser
      // tolerates, the IV) may still open; anything else fails with a typed error.
      try {
        openEnvelopedData(bad, keys.privateKey);
      } catch (err) {
        expect(err).toMatchObject({ code: expect.stringMatching(/^(BAD_REQUEST|FORBIDDEN)$/) });
      }
    }
  });

  const openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((p) => existsSync(p));
  (openssl ? it : it.skip)("is a standard CMS structure that OpenSSL decrypts with the same key", () => {
    const dir = mkdtempSync(join(tmpdir(), "cms-"));
    try {
      writeFileSync(join(dir, "in.der"), createEnvelopedData(keys.publicKeySpki, dataKey));
      writeFileSync(join(dir, "key.pem"), keys.privateKey.export({ type: "pkcs8", format: "pem" }));
      const out = execFileSync(openssl as string, [
        "cms",
        "-decrypt",
        "-inform",
        "DER",
        "-in",
        join(dir, "in.der"),
        "-inkey",
        join(dir, "key.pem"),
      ]);
      expect(new Uint8Array(out)).toEqual(dataKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

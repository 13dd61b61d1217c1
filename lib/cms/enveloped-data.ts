import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { VettidError } from "../errors";
import { CBC_IV_BYTES, CONTENT_KEY_BYTES, MAX_ENVELOPED_DATA_BYTES, OIDS } from "./constants";

/**
 * CMS EnvelopedData (RFC 5652 §6) with exactly the shape AWS KMS uses for
 * `CiphertextForRecipient`: one KeyTransRecipientInfo whose key is wrapped with
 * RSAES-OAEP (SHA-256, MGF1-SHA-256) to the enclave's RSA public key, and content
 * encrypted with AES-256-CBC (PKCS#7 padding). pkijs builds and parses the ASN.1;
 * node:crypto does the RSA and AES.
 */

function oaepAlgorithm(): pkijs.AlgorithmIdentifier {
  const sha256 = new pkijs.AlgorithmIdentifier({ algorithmId: OIDS.sha256, algorithmParams: new asn1js.Null() });
  const params = new pkijs.RSAESOAEPParams({
    hashAlgorithm: sha256,
    maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OIDS.mgf1, algorithmParams: sha256.toSchema() }),
  });
  return new pkijs.AlgorithmIdentifier({ algorithmId: OIDS.rsaesOaep, algorithmParams: params.toSchema() });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits, used as the recipient id. */
function subjectKeyIdentifier(spkiDer: Uint8Array): Uint8Array {
  const parsed = asn1js.fromBER(spkiDer);
  const spki = new pkijs.PublicKeyInfo({ schema: parsed.result });
  return createHash("sha1").update(spki.subjectPublicKey.valueBlock.valueHexView).digest();
}

/**
 * Encrypts `plaintext` to the holder of the RSA key whose public half is
 * `recipientSpki` (DER SubjectPublicKeyInfo) and returns the DER ContentInfo.
 * Used by the local KMS stand-in; in production AWS KMS does this.
 *
 * @throws VettidError `BAD_REQUEST` when the key is not an RSA public key.
 */
export function createEnvelopedData(recipientSpki: Uint8Array, plaintext: Uint8Array): Uint8Array {
  let wrappedKey: Buffer;
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  try {
    wrappedKey = publicEncrypt(
      {
        key: createPublicKey({ key: Buffer.from(recipientSpki), format: "der", type: "spki" }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: "sha256",
      },
      contentKey,
    );
  } catch (err) {
    throw new VettidError("BAD_REQUEST", "the recipient key is not a usable RSA public key", { cause: err });
  }
  const iv = randomBytes(CBC_IV_BYTES);
  const cipher = createCipheriv("aes-256-cbc", contentKey, iv);
  const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  contentKey.fill(0);

  const recipient = new pkijs.KeyTransRecipientInfo({
    version: 2,
    rid: new asn1js.OctetString({ valueHex: subjectKeyIdentifier(recipientSpki) }),
    keyEncryptionAlgorithm: oaepAlgorithm(),
    encryptedKey: new asn1js.OctetString({ valueHex: wrappedKey }),
  });
  const enveloped = new pkijs.EnvelopedData({
    version: 2,
    recipientInfos: [new pkijs.RecipientInfo({ variant: 1, value: recipient })],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OIDS.data,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: OIDS.aes256Cbc,
        algorithmParams: new asn1js.OctetString({ valueHex: iv }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: encrypted }),
      disableSplit: true,
    }),
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OIDS.envelopedData, content: enveloped.toSchema() });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

/**
 * Decrypts a CMS EnvelopedData (DER or BER ContentInfo) with the enclave's RSA
 * private key. Accepts only RSAES-OAEP-SHA-256 key transport and AES-256-CBC
 * content; anything else, or a key that does not unwrap, fails closed. With
 * `expectedBytes`, a plaintext of any other length fails like a wrong key: the host
 * can truncate or re-pad the unauthenticated CBC content, and a length the caller
 * would reject later, differently, is a padding oracle again.
 *
 * @throws VettidError `BAD_REQUEST` for a malformed or unsupported structure,
 *   `FORBIDDEN` (one message, no cause) for every decryption failure: no recipient
 *   entry opens with this key, or the content's padding is wrong.
 */
export function openEnvelopedData(der: Uint8Array, privateKey: KeyObject, expectedBytes?: number): Uint8Array {
  if (der.length > MAX_ENVELOPED_DATA_BYTES) throw new VettidError("BAD_REQUEST", "EnvelopedData is too large");
  let enveloped: pkijs.EnvelopedData;
  try {
    const parsed = asn1js.fromBER(der);
    if (parsed.offset === -1 || parsed.offset !== der.length) throw new Error("not one BER value");
    const contentInfo = new pkijs.ContentInfo({ schema: parsed.result });
    if (contentInfo.contentType !== OIDS.envelopedData) throw new Error("not EnvelopedData");
    enveloped = new pkijs.EnvelopedData({ schema: contentInfo.content });
  } catch (err) {
    throw new VettidError("BAD_REQUEST", "CiphertextForRecipient is not a CMS EnvelopedData", { cause: err });
  }
  const content = enveloped.encryptedContentInfo;
  if (content.contentEncryptionAlgorithm.algorithmId !== OIDS.aes256Cbc) {
    throw new VettidError("BAD_REQUEST", "EnvelopedData content is not AES-256-CBC");
  }
  const ivParam = content.contentEncryptionAlgorithm.algorithmParams;
  if (!(ivParam instanceof asn1js.OctetString) || ivParam.valueBlock.valueHexView.length !== CBC_IV_BYTES) {
    throw new VettidError("BAD_REQUEST", "EnvelopedData has no valid AES-CBC IV");
  }
  const iv = ivParam.valueBlock.valueHexView;
  const ciphertext = new Uint8Array(content.getEncryptedContent());

  for (const info of enveloped.recipientInfos) {
    if (info.variant !== 1 || !(info.value instanceof pkijs.KeyTransRecipientInfo)) continue;
    const ktri = info.value;
    if (!isOaepSha256(ktri.keyEncryptionAlgorithm)) continue;
    let contentKey: Buffer;
    try {
      contentKey = privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        ktri.encryptedKey.valueBlock.valueHexView,
      );
    } catch {
      continue;
    }
    if (contentKey.length !== CONTENT_KEY_BYTES) continue;
    try {
      const decipher = createDecipheriv("aes-256-cbc", contentKey, iv);
      const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      if (expectedBytes !== undefined && plaintext.length !== expectedBytes) {
        plaintext.fill(0);
        throw unopenable();
      }
      return new Uint8Array(plaintext);
    } catch {
      // A bad CBC padding must look exactly like a key that does not unwrap: the host
      // forges these envelopes, and a distinguishable padding error is a padding oracle.
      throw unopenable();
    } finally {
      contentKey.fill(0);
    }
  }
  throw unopenable();
}

/** The one error for every decryption failure (unwrap, key size, padding): no cause, no detail. */
function unopenable(): VettidError {
  return new VettidError("FORBIDDEN", "no RSAES-OAEP-SHA-256 recipient in the EnvelopedData opens with this key");
}

function isOaepSha256(algorithm: pkijs.AlgorithmIdentifier): boolean {
  if (algorithm.algorithmId !== OIDS.rsaesOaep) return false;
  try {
    const params = new pkijs.RSAESOAEPParams({ schema: algorithm.algorithmParams });
    if (params.hashAlgorithm.algorithmId !== OIDS.sha256) return false;
    if (params.maskGenAlgorithm.algorithmId !== OIDS.mgf1) return false;
    const mgfHash = new pkijs.AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams });
    return mgfHash.algorithmId === OIDS.sha256;
  } catch {
    return false;
  }
}

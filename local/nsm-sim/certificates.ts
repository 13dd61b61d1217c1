import { createHash, KeyObject, webcrypto } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

const engine = new pkijs.CryptoEngine({
  name: "vettid-nsm-sim",
  crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]["crypto"],
});
/** The WebCrypto key type pkijs is typed against (DOM lib); node's webcrypto keys are the same objects. */
type PkijsKey = Parameters<pkijs.Certificate["sign"]>[0];

/** ECDSA P-384 with SHA-384, the algorithm of every AWS Nitro certificate. */
export const P384 = { name: "ECDSA", namedCurve: "P-384" } as const;

/** A certificate with its private key. */
export interface Issued {
  der: Uint8Array;
  pem: string;
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  /** Subject key identifier (SHA-1 of the public key bits, RFC 5280 §4.2.1.2 method 1). */
  keyId: Uint8Array;
  subjectCn: string;
}

/** What to issue. `issuer` absent means self-signed. */
export interface IssueOptions {
  subjectCn: string;
  keys: webcrypto.CryptoKeyPair;
  issuer?: Issued;
  notBefore: Date;
  notAfter: Date;
  /** CA with pathLenConstraint, or end entity when undefined. */
  ca?: { pathLen?: number };
  /**
   * Deviations from the AWS shape, for negative tests of verifiers: another keyUsage
   * byte (or none), an extra critical extension OID, or SHA-256 instead of SHA-384.
   */
  deviate?: { keyUsage?: number | null; criticalExtension?: string; hash?: "SHA-256" };
  /** Subject alternative names (DNS names, IPv4 addresses) of a TLS server certificate. */
  subjectAltNames?: { dns?: string[]; ipv4?: string[] };
  /** Extended key usages of a TLS certificate (absent: no extension, any usage). */
  extendedKeyUsage?: readonly ("serverAuth" | "clientAuth")[];
}

/** RFC 5280 §4.2.1.12 key purpose ids. */
const KEY_PURPOSE = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" } as const;

/** Generates an extractable ECDSA P-384 key pair. */
export async function generateP384(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(P384, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

/** Generates an ECDSA key pair on another curve (negative tests only). */
export async function generateEcKeyPair(namedCurve: "P-256" | "P-384" | "P-521"): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve }, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
}

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: "2.5.4.6", value: new asn1js.PrintableString({ value: "US" }) }),
      new pkijs.AttributeTypeAndValue({ type: "2.5.4.10", value: new asn1js.Utf8String({ value: "VettID dev" }) }),
      new pkijs.AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: cn }) }),
    ],
  });
}

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
}

/** Issues one X.509 v3 certificate signed with ecdsa-with-SHA384, shaped like AWS Nitro certificates. */
export async function issue(options: IssueOptions): Promise<Issued> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = webcrypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial.buffer });
  cert.subject = name(options.subjectCn);
  cert.issuer = name(options.issuer?.subjectCn ?? options.subjectCn);
  cert.notBefore.value = options.notBefore;
  cert.notAfter.value = options.notAfter;
  await cert.subjectPublicKeyInfo.importKey(options.keys.publicKey as unknown as PkijsKey, engine);
  const spki = new Uint8Array(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const keyId = new Uint8Array(createHash("sha1").update(spki).digest());

  const isCa = options.ca !== undefined;
  const basic = new pkijs.BasicConstraints({
    cA: isCa,
    ...(options.ca?.pathLen !== undefined ? { pathLenConstraint: options.ca.pathLen } : {}),
  });
  // keyUsage: keyCertSign + cRLSign + digitalSignature (0x86) for CAs, digitalSignature (0x80) for leaves.
  const usageByte = options.deviate?.keyUsage === undefined ? (isCa ? 0x86 : 0x80) : options.deviate.keyUsage;
  cert.extensions = [
    new pkijs.Extension({ extnID: "2.5.29.19", critical: true, extnValue: basic.toSchema().toBER(false) }),
    new pkijs.Extension({
      extnID: "2.5.29.14",
      extnValue: new asn1js.OctetString({ valueHex: keyId.buffer }).toBER(false),
    }),
  ];
  if (usageByte !== null) {
    const usage = new asn1js.BitString({ valueHex: Uint8Array.of(usageByte).buffer, unusedBits: 1 });
    cert.extensions.push(new pkijs.Extension({ extnID: "2.5.29.15", critical: true, extnValue: usage.toBER(false) }));
  }
  if (options.subjectAltNames) {
    const names = [
      ...(options.subjectAltNames.dns ?? []).map((value) => new pkijs.GeneralName({ type: 2, value })),
      ...(options.subjectAltNames.ipv4 ?? []).map(
        (ip) =>
          new pkijs.GeneralName({
            type: 7,
            value: new asn1js.OctetString({ valueHex: Uint8Array.from(ip.split(".").map(Number)).buffer }),
          }),
      ),
    ];
    cert.extensions.push(
      new pkijs.Extension({
        extnID: "2.5.29.17",
        extnValue: new pkijs.GeneralNames({ names }).toSchema().toBER(false),
      }),
    );
  }
  if (options.extendedKeyUsage) {
    const usages = new pkijs.ExtKeyUsage({ keyPurposes: options.extendedKeyUsage.map((u) => KEY_PURPOSE[u]) });
    cert.extensions.push(new pkijs.Extension({ extnID: "2.5.29.37", extnValue: usages.toSchema().toBER(false) }));
  }
  if (options.deviate?.criticalExtension) {
    cert.extensions.push(
      new pkijs.Extension({
        extnID: options.deviate.criticalExtension,
        critical: true,
        extnValue: new asn1js.Null().toBER(false),
      }),
    );
  }
  if (options.issuer) {
    const aki = new pkijs.AuthorityKeyIdentifier({
      keyIdentifier: new asn1js.OctetString({ valueHex: options.issuer.keyId.slice().buffer }),
    });
    cert.extensions.push(new pkijs.Extension({ extnID: "2.5.29.35", extnValue: aki.toSchema().toBER(false) }));
  }
  const signer = options.issuer?.privateKey ?? options.keys.privateKey;
  await cert.sign(signer as unknown as PkijsKey, options.deviate?.hash ?? "SHA-384", engine);
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  return {
    der,
    pem: toPem(der),
    privateKey: options.keys.privateKey,
    publicKey: options.keys.publicKey,
    keyId,
    subjectCn: options.subjectCn,
  };
}

/** The node:crypto form of a CryptoKey, for fast signing. */
export function keyObject(key: webcrypto.CryptoKey): KeyObject {
  return KeyObject.from(key);
}

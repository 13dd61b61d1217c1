import { webcrypto } from "node:crypto";
import { generateEcKeyPair, type Issued, issue } from "../nsm-sim/certificates";

/**
 * DEV ONLY. A TLS certificate authority the launcher creates at each start, and one
 * server certificate from it. The local KMS stand-in serves HTTPS with it, and the
 * enclave side trusts this CA (and nothing else) through its measured configuration
 * in local / dev only, as production trusts the public roots for the real KMS.
 */
export interface DevTls {
  /** The CA certificate (PEM): the only root a local enclave trusts for KMS. */
  caPem: string;
  /** The server certificate (PEM) and its private key (PKCS#8 PEM). */
  certPem: string;
  keyPem: string;
  /** The names the server certificate carries. */
  names: { dns: string[]; ipv4: string[] };
  /** The CA with its private key, to issue further certificates ({@link issueDevCertificate}). */
  ca: Issued;
}

/** A certificate the dev CA issued, with its private key. */
export interface DevCertificate {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

/** What {@link issueDevCertificate} puts into a certificate. */
export interface DevCertificateOptions {
  /** Subject CN (default: the first DNS name, else `localhost`). */
  subjectCn?: string;
  dns?: string[];
  ipv4?: string[];
  /** Extended key usages (absent: none, any usage). */
  usage?: readonly ("serverAuth" | "clientAuth")[];
}

/** CA and server certificate validity: a week covers any local run; they are made anew at each start. */
const LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** Back-dated to tolerate clock skew between processes. */
const BACKDATE_MS = 60 * 1000;

/** A fresh dev CA (ECDSA P-256, may sign end-entity certificates only). */
export async function createDevCa(subjectCn = "vettid-dev-tls-ca.local", now = new Date()): Promise<Issued> {
  return issue({
    subjectCn,
    keys: await generateEcKeyPair("P-256"),
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + LIFETIME_MS),
    ca: { pathLen: 0 },
  });
}

/** Issues an end-entity TLS certificate (ECDSA P-256) from `ca`. */
export async function issueDevCertificate(
  ca: Issued,
  options: DevCertificateOptions,
  now = new Date(),
): Promise<DevCertificate> {
  const keys = await generateEcKeyPair("P-256");
  const cert = await issue({
    subjectCn: options.subjectCn ?? options.dns?.[0] ?? "localhost",
    keys,
    issuer: ca,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + LIFETIME_MS),
    subjectAltNames: { dns: options.dns ?? [], ipv4: options.ipv4 ?? [] },
    ...(options.usage ? { extendedKeyUsage: options.usage } : {}),
  });
  return { certPem: cert.pem, keyPem: await pkcs8Pem(keys.privateKey) };
}

/** Creates a fresh dev CA and a server certificate for `names` (ECDSA P-256). */
export async function createDevTls(names: { dns: string[]; ipv4?: string[] }, now = new Date()): Promise<DevTls> {
  const ca = await createDevCa(undefined, now);
  const server = await issueDevCertificate(ca, { dns: names.dns, ipv4: names.ipv4 ?? [] }, now);
  return { caPem: ca.pem, ...server, names: { dns: names.dns, ipv4: names.ipv4 ?? [] }, ca };
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key)).toString("base64");
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
}

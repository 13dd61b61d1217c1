import { webcrypto } from "node:crypto";
import { generateEcKeyPair, issue } from "../nsm-sim/certificates";

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
}

/** CA and server certificate validity: a week covers any local run; they are made anew at each start. */
const LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** Back-dated to tolerate clock skew between processes. */
const BACKDATE_MS = 60 * 1000;

/** Creates a fresh dev CA and a server certificate for `names` (ECDSA P-256). */
export async function createDevTls(names: { dns: string[]; ipv4?: string[] }, now = new Date()): Promise<DevTls> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime() + LIFETIME_MS);
  const ca = await issue({
    subjectCn: "vettid-dev-tls-ca.local",
    keys: await generateEcKeyPair("P-256"),
    notBefore,
    notAfter,
    ca: { pathLen: 0 },
  });
  const serverKeys = await generateEcKeyPair("P-256");
  const server = await issue({
    subjectCn: names.dns[0] ?? "localhost",
    keys: serverKeys,
    issuer: ca,
    notBefore,
    notAfter,
    subjectAltNames: { dns: names.dns, ipv4: names.ipv4 ?? [] },
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", serverKeys.privateKey)).toString("base64");
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
  return { caPem: ca.pem, certPem: server.pem, keyPem, names: { dns: names.dns, ipv4: names.ipv4 ?? [] } };
}

import { webcrypto } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateP384, type Issued, issue, P384 } from "./certificates";

/** The dev certificate authority: a root (what verifiers get via --root) and an intermediate. */
export interface DevCa {
  root: Issued;
  intermediate: Issued;
  /** The root certificate as PEM, to pass as `trustedRoots` / `--root`. */
  rootCertificatePem: string;
}

/** Dev root validity: 10 years. */
const ROOT_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;
/** Intermediate validity: 30 days, like AWS's regional CA certificates (about 3 weeks). */
const INTERMEDIATE_LIFETIME_MS = 30 * 24 * 3600 * 1000;
/** Certificates are back-dated by this much to tolerate clock skew. */
const BACKDATE_MS = 60 * 1000;

/** Creates a fresh dev CA (root, pathLen 1 → intermediate, pathLen 0). */
export async function createDevCa(now: Date = new Date()): Promise<DevCa> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const root = await issue({
    subjectCn: "vettid-dev-root.nitro-enclaves.local",
    keys: await generateP384(),
    notBefore,
    notAfter: new Date(now.getTime() + ROOT_LIFETIME_MS),
    ca: { pathLen: 1 },
  });
  return { root, intermediate: await newIntermediate(root, now), rootCertificatePem: root.pem };
}

async function newIntermediate(root: Issued, now: Date): Promise<Issued> {
  return issue({
    subjectCn: "vettid-dev-intermediate.nitro-enclaves.local",
    keys: await generateP384(),
    issuer: root,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + INTERMEDIATE_LIFETIME_MS),
    ca: { pathLen: 0 },
  });
}

interface Stored {
  cert: string;
  key: webcrypto.JsonWebKey;
  keyId: string;
  cn: string;
}

async function store(item: Issued): Promise<Stored> {
  return {
    cert: Buffer.from(item.der).toString("base64"),
    key: await webcrypto.subtle.exportKey("jwk", item.privateKey),
    keyId: Buffer.from(item.keyId).toString("hex"),
    cn: item.subjectCn,
  };
}

async function load(stored: Stored): Promise<Issued> {
  const privateKey = await webcrypto.subtle.importKey("jwk", stored.key, P384, true, ["sign"]);
  const { d: _d, ...pub } = stored.key;
  const publicKey = await webcrypto.subtle.importKey("jwk", { ...pub, key_ops: ["verify"] }, P384, true, ["verify"]);
  const der = new Uint8Array(Buffer.from(stored.cert, "base64"));
  const b64 = stored.cert.replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return {
    der,
    pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    privateKey,
    publicKey,
    keyId: new Uint8Array(Buffer.from(stored.keyId, "hex")),
    subjectCn: stored.cn,
  };
}

/**
 * Loads the dev CA persisted in `dir` (file `dev-ca.json`, mode 0600), creating it on
 * first use, and renewing the intermediate when it has less than a day left. The root
 * PEM is also written to `dir/dev-root.pem` for `bin/vettid ... --root`.
 */
export async function loadOrCreateDevCa(dir: string, now: Date = new Date()): Promise<DevCa> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "dev-ca.json");
  let ca: DevCa | undefined;
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as { root: Stored; intermediate: Stored };
    const root = await load(stored.root);
    let intermediate = await load(stored.intermediate);
    const { X509Certificate } = await import("node:crypto");
    const expires = Date.parse(new X509Certificate(intermediate.der).validTo);
    if (expires - now.getTime() < 24 * 3600 * 1000) intermediate = await newIntermediate(root, now);
    ca = { root, intermediate, rootCertificatePem: root.pem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  ca ??= await createDevCa(now);
  writeFileSync(
    file,
    `${JSON.stringify({ root: await store(ca.root), intermediate: await store(ca.intermediate) }, null, 2)}\n`,
    { mode: 0o600 },
  );
  writeFileSync(join(dir, "dev-root.pem"), ca.rootCertificatePem);
  return ca;
}

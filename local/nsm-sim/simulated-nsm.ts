import { randomBytes, sign } from "node:crypto";
import { Encoder } from "cbor-x";
import type { AttestationRequest, Nsm } from "../../lib/attestation";
import { sigStructure } from "../../lib/attestation";
import { assertDevOnly } from "../../lib/config";
import { generateP384, type Issued, issue, keyObject } from "./certificates";
import { createDevCa, type DevCa } from "./dev-ca";
import { EMPTY_BUNDLE_DIGEST, simulatedPcrs } from "./pcrs";

/** Leaf certificates live 3 hours, like the ones the real NSM issues. */
export const LEAF_LIFETIME_MS = 3 * 3600 * 1000;
/** A new leaf is issued when the current one has less than this left. */
const LEAF_RENEW_MARGIN_MS = 10 * 60 * 1000;
/** Largest nonce / user_data / public_key the simulator accepts (what genuine documents carry). */
const MAX_FIELD_BYTES = 1024;
/** `{1: -35}`: the protected header of every AWS document (alg ES384). */
const PROTECTED_HEADER = Uint8Array.of(0xa1, 0x01, 0x38, 0x22);

const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  pack: false,
  variableMapSize: true,
  useTag259ForMaps: false,
} as ConstructorParameters<typeof Encoder>[0]);

/** Options of {@link createSimulatedNsm}. */
export interface SimulatedNsmOptions {
  /** SHA-384 of the vault runtime bundle; PCR0-2 derive from it (see `pcrs.ts`). */
  runtimeDigest?: Uint8Array;
  /** Explicit PCRs (override the derived ones). */
  pcrs?: Record<number, Uint8Array>;
  /** The dev CA to issue from (default: a fresh in-memory one). */
  ca?: DevCa;
  /**
   * Explicit acknowledgement that this runs in development. Required when
   * VETTID_ENV is unset; refused anyway when VETTID_ENV is staging or prod.
   */
  dev?: boolean;
  /** Environment name to check (default: process.env.VETTID_ENV). */
  environment?: string;
  /** Clock (tests move it to check expiry). */
  now?: () => Date;
}

/** The simulated NSM: an {@link Nsm} plus what the local topology needs to trust it. */
export interface SimulatedNsm extends Nsm {
  /** The dev root, to pass as `trustedRoots` / `--root`. */
  rootCertificatePem: string;
  pcrs: Record<number, Uint8Array>;
  /** e.g. `i-0123456789abcdef0-enc0123456789abcdef`. */
  moduleId: string;
}

function checkField(name: string, value: Uint8Array | undefined): Uint8Array | null {
  if (value === undefined) return null;
  if (!(value instanceof Uint8Array) || value.length > MAX_FIELD_BYTES) {
    throw new RangeError(`${name} must be at most ${MAX_FIELD_BYTES} bytes`);
  }
  return value;
}

/**
 * Creates a simulated NSM (dev only) issuing documents in exactly the AWS format:
 * untagged COSE_Sign1, protected header `{1: -35}`, empty unprotected header, payload
 * map `module_id, digest, timestamp, pcrs, certificate, cabundle, public_key,
 * user_data, nonce`, signed with a short-lived P-384 leaf issued by the dev CA.
 *
 * @throws ConfigError unless VETTID_ENV is local/dev, or unset with `dev: true`.
 */
export async function createSimulatedNsm(options: SimulatedNsmOptions = {}): Promise<SimulatedNsm> {
  const environment = options.environment ?? process.env.VETTID_ENV;
  if (!(environment === undefined && options.dev === true)) assertDevOnly("the simulated NSM", environment);
  const now = options.now ?? (() => new Date());
  const ca = options.ca ?? (await createDevCa(now()));
  const pcrs = options.pcrs ?? simulatedPcrs(options.runtimeDigest ?? EMPTY_BUNDLE_DIGEST);
  for (const i of [0, 1, 2]) if (!pcrs[i]) throw new RangeError(`pcr ${i} is required`);
  const moduleId = `i-${randomBytes(8).toString("hex").slice(1)}-enc${randomBytes(8).toString("hex")}`;
  const pcrMap = new Map(Object.entries(pcrs).map(([k, v]) => [Number(k), v] as const));

  let leaf: { issued: Issued; notAfter: number } | undefined;
  async function currentLeaf(at: Date): Promise<Issued> {
    if (!leaf || leaf.notAfter - at.getTime() < LEAF_RENEW_MARGIN_MS) {
      const notAfter = at.getTime() + LEAF_LIFETIME_MS;
      const issued = await issue({
        subjectCn: `${moduleId}.nitro-enclaves.local`,
        keys: await generateP384(),
        issuer: ca.intermediate,
        notBefore: new Date(at.getTime() - 1000),
        notAfter: new Date(notAfter),
      });
      leaf = { issued, notAfter: Math.floor(notAfter / 1000) * 1000 };
    }
    return leaf.issued;
  }

  return {
    rootCertificatePem: ca.rootCertificatePem,
    pcrs,
    moduleId,
    async attest(request: AttestationRequest): Promise<Uint8Array> {
      const publicKey = checkField("public_key", request.publicKey);
      const userData = checkField("user_data", request.userData);
      const nonce = checkField("nonce", request.nonce);
      const at = now();
      const cert = await currentLeaf(at);
      const payload = encoder.encode(
        new Map<string, unknown>([
          ["module_id", moduleId],
          ["digest", "SHA384"],
          ["timestamp", at.getTime()],
          ["pcrs", pcrMap],
          ["certificate", cert.der],
          ["cabundle", [ca.root.der, ca.intermediate.der]],
          ["public_key", publicKey],
          ["user_data", userData],
          ["nonce", nonce],
        ]),
      );
      const signature = sign("sha384", sigStructure(PROTECTED_HEADER, payload), {
        key: keyObject(cert.privateKey),
        dsaEncoding: "ieee-p1363",
      });
      return new Uint8Array(encoder.encode([PROTECTED_HEADER, new Map(), payload, signature]));
    },
  };
}

import { verifyAttestation } from "../lib/attestation";
import { VettidError } from "../lib/errors";
import type { Manifest } from "../lib/manifest";
import { PROXY_ATTESTATION_PURPOSE } from "../lib/proxy-protocol";

const PURPOSE = Buffer.from(PROXY_ATTESTATION_PURPOSE, "utf8");

/** Who the proxy is talking to, once its attestation checked out. */
export interface EnclaveIdentity {
  moduleId: string;
  /** PCR0 (the enclave image measurement), lower-case hex. */
  pcr0: string;
}

/**
 * Decides whether a connected enclave may be served: an injected dependency so
 * tests and the local topology can pass their own, and production passes
 * {@link attestationVerifier}.
 */
export interface EnclaveVerifier {
  /**
   * Verifies `document`, which must answer the proxy's challenge `nonce`.
   * @throws VettidError (ATTESTATION_* or PCR_NOT_APPROVED) when the enclave must not be served.
   */
  verify(document: Uint8Array, nonce: Uint8Array): Promise<EnclaveIdentity>;
}

/** Options of {@link attestationVerifier}. */
export interface AttestationVerifierOptions {
  /** Roots to trust (PEM or DER); absent = the pinned AWS Nitro root only. Dev roots only in local/dev. */
  trustedRoots?: (string | Uint8Array)[];
  /** The current verified manifest; read on every connection so a new manifest applies at once. */
  manifest: () => Manifest | Promise<Manifest>;
  /** Oldest document accepted, in ms (default 5 minutes; it answers a fresh nonce anyway). */
  maxAgeMs?: number;
}

/** Default age limit of a document: generous for clock skew; the nonce proves freshness. */
const DEFAULT_MAX_AGE_MS = 5 * 60_000;

/**
 * The production verifier: lib/attestation's `verifyAttestation` with the
 * challenge nonce and the manifest, so only an enclave whose PCR0/1/2 match an
 * active release is served. The document must carry `PROXY_ATTESTATION_PURPOSE` as
 * its `user_data`, so a document made for a device is never accepted here, and one
 * made here is marked for devices to refuse.
 */
export function attestationVerifier(options: AttestationVerifierOptions): EnclaveVerifier {
  return {
    async verify(document, nonce) {
      const manifest = await options.manifest();
      const verified = await verifyAttestation(document, {
        ...(options.trustedRoots ? { trustedRoots: options.trustedRoots } : {}),
        expectedNonce: nonce,
        manifest,
        maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
      });
      if (!verified.userData || !PURPOSE.equals(Buffer.from(verified.userData))) {
        throw new VettidError("ATTESTATION_INVALID", "the document was not made for the proxy's challenge (user_data)");
      }
      const pcr0 = verified.pcrs[0];
      if (!pcr0) throw new VettidError("ATTESTATION_INVALID", "the document has no PCR0");
      return { moduleId: verified.moduleId, pcr0: Buffer.from(pcr0).toString("hex") };
    },
  };
}

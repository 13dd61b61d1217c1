import { createHash } from "node:crypto";

/** Size of a SHA-384 PCR. */
export const PCR_BYTES = 48;
/** How many PCRs the simulator reports (AWS reports PCR0-15). */
export const SIMULATED_PCR_COUNT = 16;

function sha384(...parts: (Uint8Array | string)[]): Uint8Array {
  const h = createHash("sha384");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * The simulator's PCRs for a vault runtime bundle with SHA-384 `runtimeDigest`.
 *
 * Derivation (one NSM "extend" from the all-zero reset value, as the Nitro
 * hypervisor does when it measures an image):
 *
 * ```
 * measurement_i = SHA-384("VETTID-NSM-SIM|PCR" || i || "|" || runtimeDigest)   for i in 0, 1, 2
 * PCR_i         = SHA-384(0^48 || measurement_i)
 * PCR_j         = 0^48                                                          for j in 3..15
 * ```
 *
 * So the same bundle always yields the same PCR0-2, and a different bundle different
 * ones, which is what the manifest and the KMS policy rely on. Real PCRs come from
 * `nitro-cli describe-eif` (docs/reviewers.md).
 */
export function simulatedPcrs(runtimeDigest: Uint8Array): Record<number, Uint8Array> {
  if (runtimeDigest.length !== PCR_BYTES) throw new Error("runtimeDigest must be a SHA-384 digest (48 bytes)");
  const pcrs: Record<number, Uint8Array> = {};
  for (let i = 0; i < SIMULATED_PCR_COUNT; i++) {
    pcrs[i] =
      i <= 2
        ? sha384(new Uint8Array(PCR_BYTES), sha384(`VETTID-NSM-SIM|PCR${i}|`, runtimeDigest))
        : new Uint8Array(PCR_BYTES);
  }
  return pcrs;
}

/** The digest used when the caller names no bundle: SHA-384 of an empty bundle. */
export const EMPTY_BUNDLE_DIGEST = sha384("");

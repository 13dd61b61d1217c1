import * as z from "../zod";

/** The schema identifier of version 1 manifests. */
export const MANIFEST_SCHEMA = "vettid.pcr-manifest/v1";

/** A SHA-384 digest or PCR value as 96 lower-case hex characters. */
const sha384Hex = z.string().check(z.regex(/^[0-9a-f]{96}$/, "must be 96 lower-case hex characters (SHA-384)"));
/** An ISO 8601 instant with an explicit zone, e.g. 2026-11-28T00:00:00Z. */
const instant = z.iso.datetime({ offset: true });

/** Release statuses: active and deprecated releases are approved, retired ones never again. */
export const RELEASE_STATUSES = ["active", "deprecated", "retired"] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** Build provenance: what a reviewer rebuilds to reproduce the PCRs. */
export const BuildSchema = z.strictObject({
  /** Git commit the enclave image was built from (SHA-1 or SHA-256 object id). */
  commit: z.string().check(z.regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, "must be a full git commit id")),
  /** SHA-384 of `dist/enclave/vault-runtime.js`. */
  bundle_sha384: sha384Hex,
  /** SHA-384 of the EIF file, when published. */
  eif_sha384: z.optional(sha384Hex),
});

/** One approved (or formerly approved) enclave image. */
export const ReleaseSchema = z
  .strictObject({
    id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1-64 of [A-Za-z0-9._-]")),
    pcr0: sha384Hex,
    pcr1: sha384Hex,
    pcr2: sha384Hex,
    status: z.enum(RELEASE_STATUSES),
    valid_from: instant,
    valid_until: z.nullable(instant),
    build: BuildSchema,
  })
  .check(
    z.refine((r) => r.valid_until === null || Date.parse(r.valid_until) > Date.parse(r.valid_from), {
      message: "valid_until must be after valid_from",
      path: ["valid_until"],
    }),
  );

/** Most releases one manifest lists (history included); keeps parsing bounded. */
export const MAX_RELEASES = 256;

/**
 * The PCR manifest payload (contracts.md §A). Unknown fields are refused at every
 * level so that a field a verifier does not understand can never be silently ignored.
 */
export const ManifestSchema = z
  .strictObject({
    schema: z.literal(MANIFEST_SCHEMA),
    /** Monotonic: every published manifest has a larger serial than the one before. */
    serial: z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER)),
    issued_at: instant,
    releases: z.array(ReleaseSchema).check(z.minLength(1), z.maxLength(MAX_RELEASES)),
  })
  .check(
    z.refine((m) => new Set(m.releases.map((r) => r.id)).size === m.releases.length, {
      message: "release ids must be unique",
      path: ["releases"],
    }),
  );

export type Manifest = z.infer<typeof ManifestSchema>;
export type Release = z.infer<typeof ReleaseSchema>;
export type BuildProvenance = z.infer<typeof BuildSchema>;

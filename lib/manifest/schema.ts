import * as z from "../zod";
import { ReleaseKeySetSchema } from "./key-set";

/**
 * The schema identifier of version 2 manifests (threshold-signed, chained, expiring).
 * Version 1 (one signature, no chain, no expiry) is no longer read: decision 0067.
 */
export const MANIFEST_SCHEMA = "vettid.pcr-manifest/v2";

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

/**
 * One approved (or formerly approved) enclave image. `approved_at` is the `issued_at` of
 * the manifest that first listed it; it is usable from `activates_at` (at least the
 * activation delay later, checked by verifiers) until `valid_until`.
 */
export const ReleaseSchema = z
  .strictObject({
    id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1-64 of [A-Za-z0-9._-]")),
    pcr0: sha384Hex,
    pcr1: sha384Hex,
    pcr2: sha384Hex,
    status: z.enum(RELEASE_STATUSES),
    approved_at: instant,
    activates_at: instant,
    valid_until: z.nullable(instant),
    build: BuildSchema,
  })
  .check(
    z.refine((r) => Date.parse(r.activates_at) >= Date.parse(r.approved_at), {
      message: "activates_at must not be before approved_at",
      path: ["activates_at"],
    }),
    z.refine((r) => r.valid_until === null || Date.parse(r.valid_until) > Date.parse(r.activates_at), {
      message: "valid_until must be after activates_at",
      path: ["valid_until"],
    }),
  );

/** Most releases one manifest lists (history included); keeps parsing bounded. */
export const MAX_RELEASES = 256;

/**
 * The PCR manifest payload (docs/protocol.md §PCR manifest). Unknown fields are refused
 * at every level so that a field a verifier does not understand can never be silently
 * ignored.
 */
export const ManifestSchema = z
  .strictObject({
    schema: z.literal(MANIFEST_SCHEMA),
    /** Each manifest's serial is the previous one's plus one; the log starts at 1. */
    serial: z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER)),
    /** SHA-384 (hex) of the previous manifest's payload bytes; null only for serial 1. */
    previous: z.nullable(sha384Hex),
    issued_at: instant,
    /** After this instant no verifier accepts the manifest, and KMS stops answering its releases. */
    expires_at: instant,
    /** The release key set from this manifest on: it signs this manifest and the next. */
    keys: ReleaseKeySetSchema,
    releases: z.array(ReleaseSchema).check(z.minLength(1), z.maxLength(MAX_RELEASES)),
  })
  .check(
    z.refine((m) => (m.serial === 1) === (m.previous === null), {
      message: "previous must be null for serial 1 and a digest for every later serial",
      path: ["previous"],
    }),
    z.refine((m) => Date.parse(m.expires_at) > Date.parse(m.issued_at), {
      message: "expires_at must be after issued_at",
      path: ["expires_at"],
    }),
    z.refine((m) => m.releases.every((r) => Date.parse(r.approved_at) <= Date.parse(m.issued_at)), {
      message: "a release cannot be approved after the manifest was issued",
      path: ["releases"],
    }),
    z.refine((m) => new Set(m.releases.map((r) => r.id)).size === m.releases.length, {
      message: "release ids must be unique",
      path: ["releases"],
    }),
  );

export type Manifest = z.infer<typeof ManifestSchema>;
export type Release = z.infer<typeof ReleaseSchema>;
export type BuildProvenance = z.infer<typeof BuildSchema>;

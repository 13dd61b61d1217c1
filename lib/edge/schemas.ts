import { isUserPublicKey } from "../nats-auth";
import { ID_PATTERN } from "../subjects";
import * as z from "../zod";
import { INVITATION_CODE_PATTERN } from "./invitation-code";
import { isUsableEd25519PublicKey, isUsableX25519PublicKey } from "./public-keys";

/**
 * The REST contract: request and response schemas. Handlers validate with them,
 * docs/openapi.json is generated from them, and the reference client parses
 * responses with them. Every request object is strict (unknown keys are refused).
 */

/**
 * Builds a schema at module load, marked free of side effects: esbuild then drops
 * every schema a bundle does not use (zod/mini's chained `.check()` calls otherwise
 * look like side effects to it), so each edge bundle carries only its own route's
 * schemas and builds only those on a cold start.
 */
/* @__NO_SIDE_EFFECTS__ */
function define<T>(build: () => T): T {
  return build();
}

/** base64url of exactly 32 bytes (43 characters, no padding). */
const key32 = define(() =>
  z
    .string()
    .check(
      z.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, "must be base64url of 32 bytes"),
      z.describe("base64url (no padding) of a 32-byte public key"),
    ),
);
const id = (prefix: string) =>
  z
    .string()
    .check(
      z.regex(new RegExp(`^${prefix}_[0-9a-f]{32}$`), `must be a ${prefix}_ id`),
      z.describe(`${prefix}_ followed by 32 hex digits`),
    );
const isoTime = define(() => z.iso.datetime({ offset: false }).check(z.describe("ISO 8601 UTC time")));

export const DeviceIdSchema = define(() => id("dev"));
export const InvitationIdSchema = define(() => id("inv"));

/** Path parameters. */
export const DevicePathSchema = define(() => z.strictObject({ deviceId: DeviceIdSchema }));
export const InvitationPathSchema = define(() => z.strictObject({ invitationId: InvitationIdSchema }));

/** Invitation lifetime bounds: at least 5 minutes, at most 30 days; 7 days by default. */
export const INVITATION_TTL = { minSeconds: 300, maxSeconds: 30 * 86_400, defaultSeconds: 7 * 86_400 } as const;

export const CreateInvitationRequestSchema = define(() =>
  z
    .strictObject({
      expiresInSeconds: z.optional(z.int().check(z.gte(INVITATION_TTL.minSeconds), z.lte(INVITATION_TTL.maxSeconds))),
      note: z
        .optional(z.string().check(z.minLength(1), z.maxLength(200)))
        .check(z.describe("operator note, shown in listings")),
    })
    .check(z.describe("CreateInvitationRequest")),
);

export const InvitationSchema = define(() =>
  z
    .object({
      invitationId: InvitationIdSchema,
      status: z.enum(["open", "used", "revoked", "expired"]),
      createdAt: isoTime,
      expiresAt: isoTime,
      note: z.optional(z.string()),
      usedAt: z.optional(isoTime),
      revokedAt: z.optional(isoTime),
    })
    .check(z.describe("Invitation")),
);

export const CreateInvitationResponseSchema = define(() =>
  z
    .object({
      invitationId: InvitationIdSchema,
      code: z.string().check(z.regex(INVITATION_CODE_PATTERN), z.describe("single-use code; shown once, never stored")),
      expiresAt: isoTime,
      note: z.optional(z.string()),
    })
    .check(z.describe("CreatedInvitation")),
);

export const ListInvitationsQuerySchema = define(() =>
  z.strictObject({
    limit: z.optional(z.string().check(z.regex(/^[1-9][0-9]{0,2}$/))).check(z.describe("1..100, default 50")),
    cursor: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,512}$/))),
  }),
);

export const ListInvitationsResponseSchema = define(() =>
  z.object({ items: z.array(InvitationSchema), cursor: z.optional(z.string()) }).check(z.describe("InvitationList")),
);

export const EnrollmentRequestSchema = define(() =>
  z
    .strictObject({
      invitationCode: z
        .string()
        .check(z.regex(INVITATION_CODE_PATTERN, "must be an invitation code (XXXX-XXXX-XXXX-XXXX)")),
      device: z.strictObject({
        signingKey: key32.check(
          z.refine(isUsableEd25519PublicKey, "must be an Ed25519 point on the curve and not of small order"),
          z.describe("Ed25519 public key (base64url, 32 bytes)"),
        ),
        exchangeKey: key32.check(
          z.refine(isUsableX25519PublicKey, "must be an X25519 key not of low order"),
          z.describe("X25519 public key (base64url, 32 bytes)"),
        ),
        natsPublicKey: z
          .string()
          .check(
            z.regex(/^U[A-Z2-7]{55}$/, "must be a NATS user nkey"),
            z.refine(isUserPublicKey, "must be a NATS user nkey with a valid checksum"),
            z.describe("the device's own NATS user public nkey (U…)"),
          ),
        name: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      }),
    })
    .check(z.describe("EnrollmentRequest")),
);

export const NatsCredentialsSchema = define(() =>
  z
    .object({
      servers: z.array(z.string()),
      jwt: z.string().check(z.describe("user JWT for the device's nkey; pair it with the device's seed")),
      expiresAt: isoTime,
    })
    .check(z.describe("NatsCredentials")),
);

export const VaultSubjectsSchema = define(() =>
  z
    .object({
      request: z.string().check(z.describe("publish requests here")),
      deviceEvents: z.string(),
      broadcastEvents: z.string(),
      inboxPrefix: z.string().check(z.describe("use as the NATS client's inboxPrefix")),
    })
    .check(z.describe("VaultSubjects")),
);

export const EnrollmentResponseSchema = define(() =>
  z
    .object({
      userId: z.string(),
      deviceId: DeviceIdSchema,
      vaultId: z.string(),
      vaultSalt: z.optional(
        z
          .string()
          .check(
            z.regex(/^[A-Za-z0-9_-]{22}$/),
            z.describe(
              'base64url of the 16-byte salt: vaultId = vlt_ ‖ hex(SHA-256("VETTID-VAULT-ID-1" ‖ 0x00 ‖ signingKey ‖ exchangeKey ‖ salt)[0..16]); present for the device that founds the vault, which must check it; absent for a device that joins by a pairing invitation',
            ),
          ),
      ),
      nats: NatsCredentialsSchema,
      manifestUrl: z.string(),
      subjects: VaultSubjectsSchema,
    })
    .check(z.describe("Enrollment")),
);

const nonce = define(() =>
  z.string().check(z.regex(/^[A-Za-z0-9_-]{22,86}$/), z.describe("base64url of 16..64 random bytes, never reused")),
);
const signature = define(() =>
  z
    .string()
    .check(
      z.regex(/^[A-Za-z0-9_-]{86}$/),
      z.describe("base64url Ed25519 signature (64 bytes) over the canonical message"),
    ),
);

export const CredentialsRequestSchema = define(() =>
  z.strictObject({ timestamp: isoTime, nonce, signature }).check(z.describe("SignedCredentialsRequest")),
);

export const CredentialsResponseSchema = define(() =>
  z
    .object({ deviceId: DeviceIdSchema, nats: NatsCredentialsSchema, subjects: VaultSubjectsSchema })
    .check(z.describe("Credentials")),
);

export const DeviceRevokeRequestSchema = define(() =>
  z
    .strictObject({
      signerDeviceId: DeviceIdSchema,
      timestamp: isoTime,
      nonce,
      signature,
      statement: z
        .optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,344}$/)))
        .check(
          z.describe(
            "base64url of the vault's revocation statement for this device (docs/protocol.md §Revocation statements); required unless a device revokes itself",
          ),
        ),
      statementSignature: z
        .optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{86}$/)))
        .check(z.describe("base64url Ed25519 signature of the statement by the vault's identity key")),
    })
    .check(z.describe("SignedRevokeRequest")),
);

export const VaultIdentityRequestSchema = define(() =>
  z
    .strictObject({
      timestamp: isoTime,
      nonce,
      signature,
      identityKey: key32.check(
        z.refine(isUsableEd25519PublicKey, "must be an Ed25519 point on the curve and not of small order"),
        z.describe("the vault's Ed25519 identity public key (base64url, 32 bytes), as vault.init answered it"),
      ),
    })
    .check(z.describe("SignedVaultIdentityRequest")),
);

export const VaultIdentityResponseSchema = define(() =>
  z.object({ vaultId: z.string(), identityKey: key32 }).check(z.describe("VaultIdentity")),
);

export const PairingInvitationRequestSchema = define(() =>
  z.strictObject({ timestamp: isoTime, nonce, signature }).check(z.describe("SignedPairingInvitationRequest")),
);

export const PairingInvitationResponseSchema = define(() =>
  z
    .object({
      invitationId: InvitationIdSchema,
      code: z
        .string()
        .check(
          z.regex(INVITATION_CODE_PATTERN),
          z.describe("single-use code into the device's vault; shown once, never stored"),
        ),
      vaultId: z.string().check(z.describe("the vault the enrolling device joins: the asking device's")),
      expiresAt: isoTime,
    })
    .check(z.describe("PairingInvitation")),
);

export const DeviceRevokeResponseSchema = define(() =>
  z.object({ deviceId: DeviceIdSchema, status: z.literal("revoked") }).check(z.describe("DeviceRevoked")),
);

export const HealthResponseSchema = define(() =>
  z.object({ status: z.literal("ok"), version: z.string() }).check(z.describe("Health")),
);

export const ProblemSchema = define(() =>
  z
    .object({
      type: z.string().check(z.describe("URI of the problem type: urn:vettid:error:<code>")),
      title: z.string(),
      status: z.int(),
      detail: z.optional(z.string()),
      instance: z.optional(z.string()),
      code: z.string().check(z.describe("stable error code (lib/errors/codes.ts)")),
      retryable: z.boolean(),
      requestId: z.optional(z.string()),
      errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    })
    .check(z.describe("Problem")),
);

export type CreateInvitationRequest = z.infer<typeof CreateInvitationRequestSchema>;
export type CreateInvitationResponse = z.infer<typeof CreateInvitationResponseSchema>;
export type Invitation = z.infer<typeof InvitationSchema>;
export type ListInvitationsResponse = z.infer<typeof ListInvitationsResponseSchema>;
export type EnrollmentRequest = z.infer<typeof EnrollmentRequestSchema>;
export type EnrollmentResponse = z.infer<typeof EnrollmentResponseSchema>;
export type CredentialsRequest = z.infer<typeof CredentialsRequestSchema>;
export type CredentialsResponse = z.infer<typeof CredentialsResponseSchema>;
export type DeviceRevokeRequest = z.infer<typeof DeviceRevokeRequestSchema>;
export type VaultIdentityRequest = z.infer<typeof VaultIdentityRequestSchema>;
export type VaultIdentityResponse = z.infer<typeof VaultIdentityResponseSchema>;
export type PairingInvitationRequest = z.infer<typeof PairingInvitationRequestSchema>;
export type PairingInvitationResponse = z.infer<typeof PairingInvitationResponseSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

/** Keeps ID_PATTERN-compatible ids in sync with the subject scheme. */
export const SUBJECT_ID_PATTERN = ID_PATTERN;

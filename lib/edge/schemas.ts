import * as z from "zod";
import { isUserPublicKey } from "../nats-auth";
import { ID_PATTERN } from "../subjects";
import { INVITATION_CODE_PATTERN } from "./invitation-code";
import { isUsableEd25519PublicKey, isUsableX25519PublicKey } from "./public-keys";

/**
 * The REST contract: request and response schemas. Handlers validate with them,
 * docs/openapi.json is generated from them, and the reference client parses
 * responses with them. Every request object is strict (unknown keys are refused).
 */

/** base64url of exactly 32 bytes (43 characters, no padding). */
const key32 = z
  .string()
  .regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, "must be base64url of 32 bytes")
  .describe("base64url (no padding) of a 32-byte public key");
const id = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-f]{32}$`), `must be a ${prefix}_ id`)
    .describe(`${prefix}_ followed by 32 hex digits`);
const isoTime = z.iso.datetime({ offset: false }).describe("ISO 8601 UTC time");

export const DeviceIdSchema = id("dev");
export const InvitationIdSchema = id("inv");

/** Path parameters. */
export const DevicePathSchema = z.strictObject({ deviceId: DeviceIdSchema });
export const InvitationPathSchema = z.strictObject({ invitationId: InvitationIdSchema });

/** Invitation lifetime bounds: at least 5 minutes, at most 30 days; 7 days by default. */
export const INVITATION_TTL = { minSeconds: 300, maxSeconds: 30 * 86_400, defaultSeconds: 7 * 86_400 } as const;

export const CreateInvitationRequestSchema = z
  .strictObject({
    expiresInSeconds: z.int().min(INVITATION_TTL.minSeconds).max(INVITATION_TTL.maxSeconds).optional(),
    note: z.string().min(1).max(200).optional().describe("operator note, shown in listings"),
  })
  .describe("CreateInvitationRequest");

export const InvitationSchema = z
  .object({
    invitationId: InvitationIdSchema,
    status: z.enum(["open", "used", "revoked", "expired"]),
    createdAt: isoTime,
    expiresAt: isoTime,
    note: z.string().optional(),
    usedAt: isoTime.optional(),
    revokedAt: isoTime.optional(),
  })
  .describe("Invitation");

export const CreateInvitationResponseSchema = z
  .object({
    invitationId: InvitationIdSchema,
    code: z.string().regex(INVITATION_CODE_PATTERN).describe("single-use code; shown once, never stored"),
    expiresAt: isoTime,
    note: z.string().optional(),
  })
  .describe("CreatedInvitation");

export const ListInvitationsQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/)
    .optional()
    .describe("1..100, default 50"),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,512}$/)
    .optional(),
});

export const ListInvitationsResponseSchema = z
  .object({ items: z.array(InvitationSchema), cursor: z.string().optional() })
  .describe("InvitationList");

export const EnrollmentRequestSchema = z
  .strictObject({
    invitationCode: z.string().regex(INVITATION_CODE_PATTERN, "must be an invitation code (XXXX-XXXX-XXXX-XXXX)"),
    device: z.strictObject({
      signingKey: key32
        .refine(isUsableEd25519PublicKey, "must be an Ed25519 point on the curve and not of small order")
        .describe("Ed25519 public key (base64url, 32 bytes)"),
      exchangeKey: key32
        .refine(isUsableX25519PublicKey, "must be an X25519 key not of low order")
        .describe("X25519 public key (base64url, 32 bytes)"),
      natsPublicKey: z
        .string()
        .regex(/^U[A-Z2-7]{55}$/, "must be a NATS user nkey")
        .refine(isUserPublicKey, "must be a NATS user nkey with a valid checksum")
        .describe("the device's own NATS user public nkey (U…)"),
      name: z.string().min(1).max(64).optional(),
    }),
  })
  .describe("EnrollmentRequest");

export const NatsCredentialsSchema = z
  .object({
    servers: z.array(z.string()),
    jwt: z.string().describe("user JWT for the device's nkey; pair it with the device's seed"),
    expiresAt: isoTime,
  })
  .describe("NatsCredentials");

export const VaultSubjectsSchema = z
  .object({
    request: z.string().describe("publish requests here"),
    deviceEvents: z.string(),
    broadcastEvents: z.string(),
    inboxPrefix: z.string().describe("use as the NATS client's inboxPrefix"),
  })
  .describe("VaultSubjects");

export const EnrollmentResponseSchema = z
  .object({
    userId: z.string(),
    deviceId: DeviceIdSchema,
    vaultId: z.string(),
    nats: NatsCredentialsSchema,
    manifestUrl: z.string(),
    subjects: VaultSubjectsSchema,
  })
  .describe("Enrollment");

const nonce = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22,86}$/)
  .describe("base64url of 16..64 random bytes, never reused");
const signature = z
  .string()
  .regex(/^[A-Za-z0-9_-]{86}$/)
  .describe("base64url Ed25519 signature (64 bytes) over the canonical message");

export const CredentialsRequestSchema = z
  .strictObject({ timestamp: isoTime, nonce, signature })
  .describe("SignedCredentialsRequest");

export const CredentialsResponseSchema = z
  .object({ deviceId: DeviceIdSchema, nats: NatsCredentialsSchema, subjects: VaultSubjectsSchema })
  .describe("Credentials");

export const DeviceRevokeRequestSchema = z
  .strictObject({ signerDeviceId: DeviceIdSchema, timestamp: isoTime, nonce, signature })
  .describe("SignedRevokeRequest");

export const DeviceRevokeResponseSchema = z
  .object({ deviceId: DeviceIdSchema, status: z.literal("revoked") })
  .describe("DeviceRevoked");

export const HealthResponseSchema = z.object({ status: z.literal("ok"), version: z.string() }).describe("Health");

export const ProblemSchema = z
  .object({
    type: z.string().describe("URI of the problem type: urn:vettid:error:<code>"),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().describe("stable error code (lib/errors/codes.ts)"),
    retryable: z.boolean(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe("Problem");

export type CreateInvitationRequest = z.infer<typeof CreateInvitationRequestSchema>;
export type CreateInvitationResponse = z.infer<typeof CreateInvitationResponseSchema>;
export type Invitation = z.infer<typeof InvitationSchema>;
export type ListInvitationsResponse = z.infer<typeof ListInvitationsResponseSchema>;
export type EnrollmentRequest = z.infer<typeof EnrollmentRequestSchema>;
export type EnrollmentResponse = z.infer<typeof EnrollmentResponseSchema>;
export type CredentialsRequest = z.infer<typeof CredentialsRequestSchema>;
export type CredentialsResponse = z.infer<typeof CredentialsResponseSchema>;
export type DeviceRevokeRequest = z.infer<typeof DeviceRevokeRequestSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

/** Keeps ID_PATTERN-compatible ids in sync with the subject scheme. */
export const SUBJECT_ID_PATTERN = ID_PATTERN;

import { randomBytes } from "node:crypto";
import {
  type CreateInvitationRequest,
  CreateInvitationResponseSchema,
  CredentialsResponseSchema,
  DeviceRevokeResponseSchema,
  EnrollmentResponseSchema,
  InvitationSchema,
  ListInvitationsResponseSchema,
  PairingInvitationResponseSchema,
  type Problem,
  ProblemSchema,
  type SignedPurpose,
  signRequest,
  VaultIdentityResponseSchema,
} from "../../lib/edge";
import { type ErrorCode, isErrorCode, VettidError } from "../../lib/errors";
import { isVaultIdFor } from "../../lib/vault-id";
import type * as z from "../../lib/zod";
import type { DeviceKeys } from "./keys";

/**
 * The message of a problem+json answer: the failed fields when the edge names them
 * (`body.expiresInSeconds: …`), else its detail, else its title.
 */
function problemMessage(problem: Problem): string {
  if (problem.errors && problem.errors.length > 0) {
    return problem.errors.map((e) => `${e.path}: ${e.message}`).join("; ");
  }
  return problem.detail ?? problem.title;
}

/** The code of an HTTP failure that carries no problem+json (an API Gateway answer). */
function gatewayCode(status: number): ErrorCode {
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "FORBIDDEN";
  if (status === 429) return "RATE_LIMITED";
  return status >= 500 ? "UNAVAILABLE" : "BAD_REQUEST";
}

/** Options of {@link createEdgeClient}. */
export interface EdgeClientOptions {
  /** Base URL of the REST edge, e.g. `https://api.vettid.example` or the local adapter. */
  baseUrl: string;
  /** Operator token (local topology only; in AWS operators sign with IAM: {@link signer}). */
  adminToken?: string;
  /**
   * Signs operator requests (client/operator `sigV4Signer`): the headers it returns are
   * added to each admin request, after the body is final.
   */
  signer?: (request: {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body?: string;
  }) => Promise<Record<string, string>>;
  fetch?: typeof fetch;
  /** Request timeout (default 15 s). */
  timeoutMs?: number;
}

/** The REST calls a device (and an operator) makes. */
export function createEdgeClient(options: EdgeClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, "");

  async function call<T>(
    method: string,
    path: string,
    schema: z.ZodMiniType<T>,
    body?: unknown,
    admin = false,
  ): Promise<T> {
    let headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (admin && options.adminToken) headers.authorization = `Bearer ${options.adminToken}`;
    else if (admin && options.signer) {
      headers = {
        ...headers,
        ...(await options.signer({
          method,
          url: new URL(`${base}${path}`),
          headers,
          ...(payload !== undefined ? { body: payload } : {}),
        })),
      };
    }
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new VettidError("UNAVAILABLE", `cannot reach ${base}: ${(err as Error).message}`, { cause: err });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const problem = ProblemSchema.safeParse(json);
      if (problem.success && isErrorCode(problem.data.code)) {
        throw new VettidError(problem.data.code as ErrorCode, problemMessage(problem.data), {
          details: { status: response.status },
        });
      }
      // Not the edge's own answer: API Gateway's (IAM authorization, throttling) says `{message}`.
      const message = (json as { message?: unknown } | undefined)?.message;
      throw new VettidError(
        gatewayCode(response.status),
        typeof message === "string" && message.length > 0
          ? message.slice(0, 300)
          : `HTTP ${response.status} from ${path}`,
        { details: { status: response.status } },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new VettidError("BAD_REQUEST", `unexpected response from ${path}`);
    return parsed.data;
  }

  const signed = (
    purpose: SignedPurpose,
    targetDeviceId: string,
    signerDeviceId: string,
    keys: DeviceKeys,
    subject?: string,
  ) => {
    const timestamp = new Date().toISOString();
    const nonce = randomBytes(24).toString("base64url");
    const signature = signRequest(
      { purpose, targetDeviceId, signerDeviceId, timestamp, nonce, ...(subject === undefined ? {} : { subject }) },
      Buffer.from(keys.signing.seed, "base64url"),
    );
    return { timestamp, nonce, signature };
  };

  const enrollWith = (invitationCode: string, keys: DeviceKeys, name?: string) =>
    call("POST", "/v1/enrollments", EnrollmentResponseSchema, {
      invitationCode,
      device: {
        signingKey: keys.signing.publicKey,
        exchangeKey: keys.exchange.publicKey,
        natsPublicKey: keys.nats.publicKey,
        ...(name ? { name } : {}),
      },
    });

  return {
    /** Operator: creates an invitation. */
    createInvitation: (request: CreateInvitationRequest = {}) =>
      call("POST", "/v1/invitations", CreateInvitationResponseSchema, request, true),
    /** Operator: a page of invitations, newest first, without their codes. */
    listInvitations: (page: { limit?: number; cursor?: string } = {}) => {
      const query = new URLSearchParams();
      if (page.limit !== undefined) query.set("limit", String(page.limit));
      if (page.cursor !== undefined) query.set("cursor", page.cursor);
      const suffix = query.size > 0 ? `?${query}` : "";
      return call("GET", `/v1/invitations${suffix}`, ListInvitationsResponseSchema, undefined, true);
    },
    /** Operator: revokes an open invitation (idempotent for one already revoked). */
    revokeInvitation: (invitationId: string) =>
      call("POST", `/v1/invitations/${encodeURIComponent(invitationId)}/revoke`, InvitationSchema, undefined, true),
    /** Operator: revokes a device's NATS access at the edge. */
    adminRevokeDevice: (deviceId: string) =>
      call(
        "POST",
        `/v1/admin/devices/${encodeURIComponent(deviceId)}/revoke`,
        DeviceRevokeResponseSchema,
        undefined,
        true,
      ),
    /**
     * Device: enrolls its public keys with an invitation code, and checks that the
     * vault id the edge assigned commits to these keys (lib/vault-id), so an edge
     * cannot hand this device another person's vault.
     * @throws VettidError `VAULT_ID_MISMATCH` when it does not.
     */
    enroll: async (invitationCode: string, keys: DeviceKeys, name?: string) => {
      const enrollment = await enrollWith(invitationCode, keys, name);
      const founding = {
        signingKey: Buffer.from(keys.signing.publicKey, "base64url"),
        exchangeKey: Buffer.from(keys.exchange.publicKey, "base64url"),
      };
      const salt = enrollment.vaultSalt === undefined ? undefined : Buffer.from(enrollment.vaultSalt, "base64url");
      if (!salt || !isVaultIdFor(enrollment.vaultId, founding, salt)) {
        throw new VettidError(
          "VAULT_ID_MISMATCH",
          "the edge assigned a vault id that does not commit to this device's keys",
        );
      }
      return enrollment;
    },
    /**
     * Device: enrolls its public keys with a pairing invitation (docs/protocol.md
     * §Pairing invitations), into the vault of the device that asked for it. The vault
     * id commits to the founder's keys, not to these, so there is nothing to check here:
     * the device checks the vault's identity key against the pairing code in its first
     * session (VaultClient `joinPairing`), before it proves anything.
     * @throws VettidError `VAULT_ID_MISMATCH` when the edge answers as for a founding
     *   device (a vault salt): it did not treat the invitation as a pairing one.
     */
    enrollByPairing: async (invitationCode: string, keys: DeviceKeys, name?: string) => {
      const enrollment = await enrollWith(invitationCode, keys, name);
      if (enrollment.vaultSalt !== undefined) {
        throw new VettidError(
          "VAULT_ID_MISMATCH",
          "the edge enrolled this device into a vault of its own, not by pairing",
        );
      }
      return enrollment;
    },
    /**
     * Device: a single-use pairing invitation into its own vault (10 minutes), over a
     * signed, single-use request.
     */
    createPairingInvitation: (deviceId: string, keys: DeviceKeys) =>
      call(
        "POST",
        `/v1/devices/${encodeURIComponent(deviceId)}/pairing-invitations`,
        PairingInvitationResponseSchema,
        signed("pairing", deviceId, deviceId, keys),
      ),
    /** Device: a fresh NATS user JWT, over a signed, single-use request. */
    refreshCredentials: (deviceId: string, keys: DeviceKeys) =>
      call(
        "POST",
        `/v1/devices/${encodeURIComponent(deviceId)}/credentials`,
        CredentialsResponseSchema,
        signed("credentials", deviceId, deviceId, keys),
      ),
    /**
     * Device: revokes a device of the same user at the edge (no new JWTs, its NATS
     * connections closed). Another device needs the vault's revocation statement
     * (`device.revoke`'s answer); a device revoking itself needs none.
     */
    revokeDevice: (
      targetDeviceId: string,
      signerDeviceId: string,
      keys: DeviceKeys,
      vaultStatement?: { statement: Uint8Array; signature: Uint8Array },
    ) =>
      call("POST", `/v1/devices/${encodeURIComponent(targetDeviceId)}/revoke`, DeviceRevokeResponseSchema, {
        signerDeviceId,
        ...signed("revoke", targetDeviceId, signerDeviceId, keys),
        ...(vaultStatement
          ? {
              statement: Buffer.from(vaultStatement.statement).toString("base64url"),
              statementSignature: Buffer.from(vaultStatement.signature).toString("base64url"),
            }
          : {}),
      }),
    /**
     * Device (the vault's founder): registers the vault's identity key at the edge,
     * once, after `vault.init`; the signature binds the key.
     */
    registerVaultIdentity: (deviceId: string, keys: DeviceKeys, identityKey: Uint8Array) => {
      const key = Buffer.from(identityKey).toString("base64url");
      return call("POST", `/v1/devices/${encodeURIComponent(deviceId)}/vault-identity`, VaultIdentityResponseSchema, {
        identityKey: key,
        ...signed("vault-identity", deviceId, deviceId, keys, key),
      });
    },
  };
}

export type EdgeClient = ReturnType<typeof createEdgeClient>;

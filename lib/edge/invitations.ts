import { VettidError } from "../errors";
import type { InvitationRecord } from "../store";
import type { EdgeContext } from "./context";
import { generateInvitationCode, invitationIdFromCode } from "./invitation-code";
import {
  type CreateInvitationRequest,
  type CreateInvitationResponse,
  INVITATION_TTL,
  type Invitation,
  type ListInvitationsResponse,
} from "./schemas";

const iso = (ms: number) => new Date(ms).toISOString();

/** The public view of an invitation record (no code; `expired` computed). */
export function toInvitation(record: InvitationRecord, now: number): Invitation {
  const status = record.status === "open" && record.expiresAt <= now ? "expired" : record.status;
  const view: Invitation = {
    invitationId: record.invitationId,
    status,
    createdAt: iso(record.createdAt),
    expiresAt: iso(record.expiresAt),
  };
  if (record.note !== undefined) view.note = record.note;
  if (record.usedAt !== undefined) view.usedAt = iso(record.usedAt);
  if (record.revokedAt !== undefined) view.revokedAt = iso(record.revokedAt);
  return view;
}

/**
 * Stores a new open invitation under a fresh code: `fields` with the id the code
 * hashes to. Returns the code (once; the table keeps only its hash) and the record.
 * A collision of 80-bit codes is not expected; a few retries rather than a failure.
 */
export async function allocateInvitation(
  ctx: EdgeContext,
  fields: Omit<InvitationRecord, "invitationId" | "status">,
): Promise<{ code: string; record: InvitationRecord }> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const code = generateInvitationCode();
    const record: InvitationRecord = { invitationId: invitationIdFromCode(code), status: "open", ...fields };
    if (await ctx.store.createInvitation(record)) return { code, record };
  }
  throw new VettidError("UNAVAILABLE", "could not allocate an invitation code");
}

/** Creates a single-use invitation; the code is returned once and never stored. */
export async function createInvitation(
  ctx: EdgeContext,
  request: CreateInvitationRequest,
  createdBy: string,
): Promise<CreateInvitationResponse> {
  const now = ctx.now();
  const expiresAt = now + (request.expiresInSeconds ?? INVITATION_TTL.defaultSeconds) * 1000;
  const { code, record } = await allocateInvitation(ctx, {
    createdAt: now,
    expiresAt,
    createdBy,
    ...(request.note !== undefined ? { note: request.note } : {}),
  });
  const response: CreateInvitationResponse = { invitationId: record.invitationId, code, expiresAt: iso(expiresAt) };
  if (request.note !== undefined) response.note = request.note;
  return response;
}

/** Lists invitations, newest ids in table order, paginated. */
export async function listInvitations(
  ctx: EdgeContext,
  query: { limit?: string; cursor?: string },
): Promise<ListInvitationsResponse> {
  const limit = Math.min(100, Number(query.limit ?? 50));
  const page = await ctx.store.listInvitations({ limit, cursor: query.cursor });
  const now = ctx.now();
  const response: ListInvitationsResponse = { items: page.items.map((item) => toInvitation(item, now)) };
  if (page.cursor) response.cursor = page.cursor;
  return response;
}

/** Revokes an open invitation; a used or unknown one is refused. */
export async function revokeInvitation(ctx: EdgeContext, invitationId: string): Promise<Invitation> {
  const now = ctx.now();
  const revoked = await ctx.store.revokeInvitation(invitationId, now);
  if (revoked) return toInvitation(revoked, now);
  const current = await ctx.store.getInvitation(invitationId);
  if (!current) throw new VettidError("NOT_FOUND", "no such invitation");
  if (current.status === "revoked") return toInvitation(current, now);
  throw new VettidError("CONFLICT", `the invitation is ${current.status} and can no longer be revoked`);
}

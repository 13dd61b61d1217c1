import { createHash, randomBytes } from "node:crypto";

/** Crockford base32 (no I, L, O, U): unambiguous when read aloud or typed. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** 16 symbols × 5 bits = 80 bits of entropy, shown as four groups of four. */
export const INVITATION_CODE_SYMBOLS = 16;
/** `XXXX-XXXX-XXXX-XXXX`, case-insensitive, hyphens optional. */
export const INVITATION_CODE_PATTERN = /^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$/;

/** Generates a fresh invitation code (80 random bits). */
export function generateInvitationCode(): string {
  const bytes = randomBytes(INVITATION_CODE_SYMBOLS);
  let code = "";
  for (let i = 0; i < INVITATION_CODE_SYMBOLS; i += 1) {
    code += ALPHABET[(bytes[i] ?? 0) & 31];
    if (i % 4 === 3 && i < INVITATION_CODE_SYMBOLS - 1) code += "-";
  }
  return code;
}

/** Canonical form of a typed code: upper case, no hyphens, I/L → 1, O → 0. */
export function normalizeInvitationCode(code: string): string {
  return code.toUpperCase().replace(/-/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
}

/**
 * The invitation's id, derived from its code by a domain-separated SHA-256. The
 * table stores only this id, never the code: reading the table does not let anyone
 * enroll, and inverting the id means searching 2^80 codes.
 */
export function invitationIdFromCode(code: string): string {
  const digest = createHash("sha256")
    .update(`VETTID-INVITATION-1|${normalizeInvitationCode(code)}`)
    .digest("hex");
  return `inv_${digest.slice(0, 32)}`;
}

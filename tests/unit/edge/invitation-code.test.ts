import fc from "fast-check";
import {
  generateInvitationCode,
  INVITATION_CODE_PATTERN,
  invitationIdFromCode,
  normalizeInvitationCode,
} from "../../../lib/edge";

describe("invitation codes", () => {
  test("generated codes match the pattern and are distinct", () => {
    const codes = Array.from({ length: 200 }, generateInvitationCode);
    expect(codes.every((c) => INVITATION_CODE_PATTERN.test(c))).toBe(true);
    expect(new Set(codes).size).toBe(codes.length);
  });

  test("the id ignores case, hyphens and look-alike letters, and reveals nothing of the code", () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const code = generateInvitationCode();
        const typed = code.toLowerCase().replace(/-/g, "").replace(/1/g, "l").replace(/0/g, "o");
        expect(normalizeInvitationCode(typed)).toBe(normalizeInvitationCode(code));
        expect(invitationIdFromCode(typed)).toBe(invitationIdFromCode(code));
        expect(invitationIdFromCode(code)).toMatch(/^inv_[0-9a-f]{32}$/);
        expect(invitationIdFromCode(code)).not.toContain(code.replace(/-/g, "").toLowerCase());
      }),
      { numRuns: 100 },
    );
  });
});

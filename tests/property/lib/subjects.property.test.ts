import fc from "fast-check";
import { type ParsedSubject, parseSubject } from "../../../lib/subjects";

const RUNS = 3_000;

/**
 * The subject grammar written token by token, as the scheme's table reads: the
 * pattern-based parser must agree with it on every input.
 */
function referenceParse(subject: unknown): ParsedSubject | undefined {
  const isId = (token: string | undefined): token is string =>
    typeof token === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(token);
  if (typeof subject !== "string" || subject.length > 512) return undefined;
  const parts = subject.split(".");
  if (parts[0] !== "vettid" || parts[1] !== "v1") return undefined;
  if (parts[2] === "vault" && parts.length === 6 && isId(parts[3]) && isId(parts[5])) {
    if (parts[4] === "req") return { kind: "request", vaultId: parts[3], deviceId: parts[5] };
    if (parts[4] === "evt") return { kind: "event", vaultId: parts[3], deviceId: parts[5] };
  }
  if (parts[2] === "inbox" && parts.length >= 5 && isId(parts[3])) {
    const rest = parts.slice(4);
    if (rest.every((token) => isId(token))) return { kind: "inbox", deviceId: parts[3], rest: rest.join(".") };
  }
  return undefined;
}

/** Tokens near the edges of the grammar: valid ids, 64/65 characters, empty, wildcards, odd characters. */
const token = fc.oneof(
  fc.constantFrom("vettid", "v1", "v2", "vault", "inbox", "req", "evt", "all", "", "*", ">", "a b", "é", "\n", "$SYS"),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/),
  fc.constantFrom("x".repeat(64), "y".repeat(65)),
  fc.string({ maxLength: 6 }),
);

const nearSubject = fc.oneof(
  fc.array(token, { minLength: 1, maxLength: 9 }).map((tokens) => tokens.join(".")),
  fc
    .tuple(fc.constantFrom("vault", "inbox"), fc.array(token, { minLength: 1, maxLength: 6 }))
    .map(([kind, tokens]) => ["vettid", "v1", kind, ...tokens].join(".")),
  fc
    .tuple(token, fc.constantFrom("req", "evt"), token)
    .map(([vault, kind, device]) => `vettid.v1.vault.${vault}.${kind}.${device}`),
  fc.array(fc.constantFrom("abcdefgh", "x".repeat(64)), { minLength: 1, maxLength: 12 }).map(
    (tokens) => `vettid.v1.inbox.dev.${tokens.join(".")}`, // around the 512-character limit
  ),
  fc.string({ maxLength: 80 }),
);

describe("parseSubject", () => {
  it("agrees with the token-by-token grammar on near-miss subjects", () => {
    fc.assert(
      fc.property(nearSubject, (subject) => {
        // Act
        const parsed = parseSubject(subject);
        // Assess
        expect(parsed).toEqual(referenceParse(subject));
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses what is not a string", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        fc.pre(typeof value !== "string");
        expect(parseSubject(value)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * A small evaluator for the KMS key-policy features VettID relies on: Allow / Deny
 * statements over `kms:` actions with `StringEquals` / `StringEqualsIgnoreCase`
 * conditions on `kms:RecipientAttestation:PCR<n>` and
 * `kms:RecipientAttestation:ImageSha384` (AWS treats ImageSha384 as PCR0), and
 * `StringLike` conditions on `kms:EncryptionContext:<key>`.
 * Principals are not evaluated (there is one caller on loopback). Anything the
 * evaluator does not understand makes an Allow not apply and a Deny apply: it fails
 * closed, like a policy the stand-in cannot prove satisfied.
 */

/** The request facts a condition can test. */
export interface PolicyContext {
  /** PCRs of a verified Recipient attestation, lower-case hex by index. */
  recipientPcrs?: Record<number, string>;
  /** The request's encryption context (`kms:EncryptionContext:<key>` conditions). */
  encryptionContext?: Record<string, string>;
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: unknown;
}

/** A parsed key policy. */
export interface KeyPolicy {
  statements: Statement[];
  text: string;
}

/** The default key policy: the account may use the key for everything (as AWS's default). */
export const DEFAULT_KEY_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*" },
  ],
});

/**
 * Parses a key policy document.
 * @throws Error with a message fit for `MalformedPolicyDocumentException`.
 */
export function parseKeyPolicy(text: string): KeyPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error("the policy is not JSON");
  }
  const statement = (parsed as { Statement?: unknown })?.Statement;
  const statements = Array.isArray(statement) ? statement : statement ? [statement] : [];
  if (statements.length === 0) throw new Error("the policy has no Statement");
  for (const s of statements) {
    if (typeof s !== "object" || s === null) throw new Error("a Statement is not an object");
    const effect = (s as Statement).Effect;
    if (effect !== "Allow" && effect !== "Deny") throw new Error("Effect must be Allow or Deny");
  }
  return { statements: statements as Statement[], text };
}

/** Whether `policy` lets `action` (e.g. `kms:Decrypt`) happen in `context`. */
export function isAllowed(policy: KeyPolicy, action: string, context: PolicyContext): boolean {
  let allowed = false;
  for (const statement of policy.statements) {
    if (!statementCovers(statement, action)) continue;
    if (statement.Effect === "Deny" && conditionsHold(statement.Condition, context, true)) return false;
    if (statement.Effect === "Allow" && conditionsHold(statement.Condition, context, false)) allowed = true;
  }
  return allowed;
}

/**
 * Whether a statement is about `action`: `Action` lists it, or `NotAction` does not.
 * A statement with neither is a Deny that applies and an Allow that does not (fail closed).
 */
function statementCovers(statement: Statement, action: string): boolean {
  if (statement.Action !== undefined) return actionMatches(statement.Action, action);
  if (statement.NotAction !== undefined) return !actionMatches(statement.NotAction, action);
  return statement.Effect === "Deny";
}

function actionMatches(actions: unknown, action: string): boolean {
  const list = Array.isArray(actions) ? actions : [actions];
  return list.some((a) => {
    if (typeof a !== "string") return false;
    const pattern = a.toLowerCase();
    if (pattern === "*" || pattern === "kms:*") return true;
    if (pattern.endsWith("*")) return action.toLowerCase().startsWith(pattern.slice(0, -1));
    return pattern === action.toLowerCase();
  });
}

const RECIPIENT_KEY = /^kms:recipientattestation:(pcr(\d{1,2})|imagesha384)$/;
const CONTEXT_KEY = /^kms:encryptioncontext:(.+)$/;

/** IAM `StringLike`: `*` any run of characters, `?` any one; nothing else is special. */
function like(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(value);
}

/** All conditions must hold; `unknownHolds` is what an unsupported operator or key counts as. */
function conditionsHold(condition: unknown, context: PolicyContext, unknownHolds: boolean): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== "object" || condition === null) return unknownHolds;
  for (const [operator, tests] of Object.entries(condition)) {
    if (typeof tests !== "object" || tests === null) return unknownHolds;
    if (operator === "StringLike") {
      // Only encryption-context keys (case-sensitive values, as in AWS).
      for (const [key, expected] of Object.entries(tests)) {
        const match = CONTEXT_KEY.exec(key.toLowerCase());
        if (!match) return unknownHolds;
        const actual = context.encryptionContext?.[key.slice("kms:EncryptionContext:".length)];
        if (actual === undefined) return false;
        const values = (Array.isArray(expected) ? expected : [expected]).filter(
          (v): v is string => typeof v === "string",
        );
        if (!values.some((v) => like(v, actual))) return false;
      }
      continue;
    }
    const ignoreCase = operator === "StringEqualsIgnoreCase";
    if (operator !== "StringEquals" && !ignoreCase) return unknownHolds;
    for (const [key, expected] of Object.entries(tests)) {
      const match = RECIPIENT_KEY.exec(key.toLowerCase());
      if (!match) return unknownHolds;
      const index = match[2] === undefined ? 0 : Number(match[2]);
      const actual = context.recipientPcrs?.[index];
      if (actual === undefined) return false;
      const values = (Array.isArray(expected) ? expected : [expected]).filter(
        (v): v is string => typeof v === "string",
      );
      // PCR values are hex: compare without case, whichever operator was written.
      if (!values.some((v) => v.toLowerCase() === actual.toLowerCase())) return false;
    }
  }
  return true;
}

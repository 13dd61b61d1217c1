import { sodium } from "../crypto";
import { VettidError } from "../errors";
import { encodeRevocationStatement, parseRevocationStatement, type RevocationStatement } from "./revocation-statement";

/** Signs a statement with the vault's identity secret key (libsodium's 64-byte form). */
export function signRevocationStatement(
  statement: RevocationStatement,
  identitySecretKey: Uint8Array,
): {
  statement: Uint8Array;
  signature: Uint8Array;
} {
  const bytes = encodeRevocationStatement(statement);
  return { statement: bytes, signature: sodium().crypto_sign_detached(bytes, identitySecretKey) };
}

/**
 * Verifies a signed statement against the vault's identity public key and returns it.
 * @throws VettidError `VALIDATION_FAILED` for a malformed statement, `FORBIDDEN` for a
 *   signature that does not verify.
 */
export function verifyRevocationStatement(
  bytes: Uint8Array,
  signature: Uint8Array,
  identityKey: Uint8Array,
): RevocationStatement {
  const statement = parseRevocationStatement(bytes);
  if (
    !(signature instanceof Uint8Array) ||
    signature.length !== 64 ||
    !(identityKey instanceof Uint8Array) ||
    identityKey.length !== 32 ||
    !sodium().crypto_sign_verify_detached(signature, bytes, identityKey)
  ) {
    throw new VettidError("FORBIDDEN", "the revocation statement is not signed by the vault");
  }
  return statement;
}

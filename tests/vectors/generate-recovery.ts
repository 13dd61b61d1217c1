/**
 * Builds tests/vectors/recovery-v1.json (docs/protocol.md §Backup and recovery): a
 * fixed recovery secret, its text form (what `vault.init`'s answer is shown as), the
 * recovery key a vault keeps, and the key of a backup from a fixed data key and backup
 * id. A device only shows and reads the text form; the keys are for reviewers and
 * other enclave implementations. Called by generate.ts.
 */
import { sodiumReady } from "../../lib/crypto";
import { encodeRecoverySecret, RECOVERY_LABELS, recoveryKey } from "../../lib/recovery";
import { backupKey, backupKmsContext } from "../../vault-enclave/state";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const run = (n: number, first: number) => new Uint8Array(n).map((_, i) => (first + i) & 0xff);

/** The vectors as a JSON-ready object. */
export async function recoveryVectors(): Promise<Record<string, unknown>> {
  await sodiumReady();
  const secret = run(30, 0x70);
  const key = recoveryKey(secret);
  const dataKey = run(32, 0xa0);
  const backupId = run(16, 0x60);
  return {
    description:
      "VettID recovery v1 (docs/protocol.md §Backup and recovery): the recovery secret (30 bytes) as 52 Crockford " +
      "base32 symbols in groups of four (48 for the secret, 4 of checksum = the first 20 bits of " +
      "BLAKE2b-256(label.code ‖ ASCII of the 48 symbols)); recoveryKey = BLAKE2b-256(key = secret, label.key); " +
      "backupKey = BLAKE2b-256(key = dataKey ‖ recoveryKey, 'VETTID-BACKUP-1' ‖ backupId). Byte strings in hex.",
    labels: { ...RECOVERY_LABELS, backup: "VETTID-BACKUP-1" },
    secret: hex(secret),
    code: encodeRecoverySecret(secret),
    recoveryKey: hex(key),
    backup: {
      sourceVaultId: "vlt_d1723a6e897a7cd2a4e0d0fd0e664163",
      kmsEncryptionContext: backupKmsContext("vlt_d1723a6e897a7cd2a4e0d0fd0e664163"),
      dataKey: hex(dataKey),
      backupId: hex(backupId),
      backupKey: hex(backupKey(backupId, { dataKey, recoveryKey: key })),
    },
  };
}

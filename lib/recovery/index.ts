/** The recovery secret: its text form and the key a vault keeps (docs/decisions/0068). */
export {
  MAX_RECOVERY_CODE_TEXT,
  RECOVERY_CODE_SYMBOLS,
  RECOVERY_LABELS,
  RECOVERY_SECRET_BYTES,
} from "./constants";
export { encodeRecoverySecret, parseRecoverySecret, recoveryKey } from "./secret";

import { VettidError } from "../../lib/errors";

/**
 * Raised when a KMS answer is refused inside the enclave: another key than the pinned
 * one, a plaintext where only `CiphertextForRecipient` may be, a missing or oversized
 * field. The message names the check, never a key or its bytes.
 */
export class KmsAnswerRefused extends VettidError {
  constructor(message: string) {
    super("FORBIDDEN", `KMS answer refused: ${message}`);
    this.name = "KmsAnswerRefused";
  }
}

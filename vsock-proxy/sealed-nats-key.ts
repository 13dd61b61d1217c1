import { readFile, stat } from "node:fs/promises";
import { VettidError } from "../lib/errors";
import { MAX_NATS_KEY_CIPHERTEXT_BYTES } from "../lib/proxy-protocol";

/** Base64 text of at most {@link MAX_NATS_KEY_CIPHERTEXT_BYTES}, with room for line breaks. */
const MAX_FILE_BYTES = Math.ceil(MAX_NATS_KEY_CIPHERTEXT_BYTES / 3) * 4 + 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads the runtime's sealed NATS signing key from `path` each time the enclave asks
 * (so a rotated file applies without a restart): the base64 text of a KMS ciphertext,
 * whitespace ignored. The proxy cannot open it and checks only its shape.
 * @throws VettidError `UNAVAILABLE` for a missing, oversized or malformed file (the
 *   message names the file, never its content).
 */
export function sealedNatsKeyFile(path: string): () => Promise<Uint8Array> {
  return async () => {
    const size = await stat(path).then(
      (s) => s.size,
      () => {
        throw new VettidError("UNAVAILABLE", `cannot read the runtime NATS key file ${path}`);
      },
    );
    if (size > MAX_FILE_BYTES) throw new VettidError("UNAVAILABLE", `the runtime NATS key file ${path} is too large`);
    const text = (await readFile(path, "utf8")).replace(/\s+/g, "");
    const bytes = BASE64.test(text) && text.length % 4 === 0 ? Buffer.from(text, "base64") : undefined;
    if (!bytes || bytes.length === 0 || bytes.length > MAX_NATS_KEY_CIPHERTEXT_BYTES) {
      throw new VettidError("UNAVAILABLE", `the runtime NATS key file ${path} is not base64 of a KMS ciphertext`);
    }
    return new Uint8Array(bytes);
  };
}

import { sodium } from "../crypto/sodium";
import { VettidError } from "../errors";
import type { SessionKeys } from "./types";

const KEY_LABEL = "VETTID-SESSION-1";

/** Which side of a session this party is. */
export type SessionRole = "device" | "enclave";

/**
 * Derives the directional keys of a session from an X25519 agreement
 * (`crypto_kx`; the device is the client, the enclave the server), each key then
 * bound to the session id: `BLAKE2b-256(key = kxKey, KEY_LABEL | sessionId)`.
 * Both sides get matching keys: the device's `tx` is the enclave's `rx`.
 */
export function deriveSessionKeys(
  role: SessionRole,
  own: { publicKey: Uint8Array; privateKey: Uint8Array },
  peerPublicKey: Uint8Array,
  sessionId: string,
): SessionKeys {
  const s = sodium();
  let kx: { sharedRx: Uint8Array; sharedTx: Uint8Array };
  try {
    kx =
      role === "device"
        ? s.crypto_kx_client_session_keys(own.publicKey, own.privateKey, peerPublicKey)
        : s.crypto_kx_server_session_keys(own.publicKey, own.privateKey, peerPublicKey);
  } catch (err) {
    throw new VettidError("VALIDATION_FAILED", "key agreement failed (bad public key)", { cause: err });
  }
  const label = s.from_string(`${KEY_LABEL}|${sessionId}`);
  return {
    tx: s.crypto_generichash(32, label, kx.sharedTx),
    rx: s.crypto_generichash(32, label, kx.sharedRx),
  };
}

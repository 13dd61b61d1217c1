import { sodium } from "../../lib/crypto";
import type { InnerState, OuterState } from "./types";

/**
 * Overwrites the secret bytes of decoded states and of keys with zeros
 * (`sodium.memzero`): the identity key, the recovery key and every item value
 * of an inner state; the PIN verifier of an outer state; any key given as bytes.
 *
 * Best effort: JavaScript gives no control over copies the garbage collector or
 * libsodium's WebAssembly heap may still hold, and strings (item names, labels)
 * cannot be wiped at all. It shortens how long secrets sit in memory; it does not
 * make them disappear.
 */
export function wipe(...values: (InnerState | OuterState | Uint8Array | null | undefined)[]): void {
  const s = sodium();
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (value instanceof Uint8Array) {
      s.memzero(value);
    } else if ("items" in value) {
      s.memzero(value.identitySecretKey);
      if (value.recoveryKey !== null) s.memzero(value.recoveryKey);
      for (const item of value.items) s.memzero(item.value);
    } else {
      s.memzero(value.pin.verifier);
    }
  }
}

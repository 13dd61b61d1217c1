import { VettidError } from "../errors";
import { isVaultIdFor, VAULT_SALT_BYTES } from "../vault-id";
import { decodeWire, encodeWire } from "./codec";
import { VAULT_PROTOCOL_VERSION } from "./constants";

/** The founding device's opening of a vault id's commitment: its signing key and the salt. */
export interface FoundingOpening {
  signingKey: Uint8Array;
  vaultSalt: Uint8Array;
}

const SIGNING_KEY_BYTES = 32;

/**
 * The handshake payload (message 1) of a device that founds its vault
 * (docs/protocol.md §Handshake payload): `{v, signingKey, vaultSalt}` as CBOR. A vault
 * with no state yet admits only the key its id commits to, so the enclave takes the
 * vault's lease for no other key (decision 0077). Other devices send no payload.
 */
export function encodeFoundingOpening(opening: FoundingOpening): Uint8Array {
  return encodeWire({
    v: VAULT_PROTOCOL_VERSION,
    signingKey: new Uint8Array(opening.signingKey),
    vaultSalt: new Uint8Array(opening.vaultSalt),
  });
}

/**
 * Reads a handshake payload: undefined when it is empty (a device that does not found
 * the vault), the opening otherwise.
 * @throws VettidError `BAD_REQUEST` for anything but exactly that map.
 */
export function parseFoundingOpening(payload: Uint8Array): FoundingOpening | undefined {
  if (payload.length === 0) return undefined;
  const map = decodeWire(payload);
  const keys = Object.keys(map).sort();
  const { v, signingKey, vaultSalt } = map;
  if (
    keys.join(",") !== "signingKey,v,vaultSalt" ||
    v !== VAULT_PROTOCOL_VERSION ||
    !(signingKey instanceof Uint8Array) ||
    signingKey.length !== SIGNING_KEY_BYTES ||
    !(vaultSalt instanceof Uint8Array) ||
    vaultSalt.length !== VAULT_SALT_BYTES
  ) {
    throw new VettidError("BAD_REQUEST", "the handshake payload is not a founding opening");
  }
  return { signingKey, vaultSalt };
}

/** Whether `opening` with the device's exchange key opens `vaultId`'s commitment. */
export function opensVaultId(vaultId: string, exchangeKey: Uint8Array, opening: FoundingOpening): boolean {
  return isVaultIdFor(vaultId, { signingKey: opening.signingKey, exchangeKey }, opening.vaultSalt);
}

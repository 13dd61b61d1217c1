import { type ErrorCode, VettidError } from "../errors";
import { isVaultIdFor, VAULT_SALT_BYTES } from "../vault-id";
import { decodeWire, encodeWire, type WireMap } from "./codec";
import { ERROR_MESSAGE_CODES, VAULT_PROTOCOL_VERSION } from "./constants";

/** The founding device's opening of a vault id's commitment: its signing key and the salt. */
export interface FoundingOpening {
  signingKey: Uint8Array;
  vaultSalt: Uint8Array;
}

/**
 * What a device says in its handshake's payload 1 (docs/protocol.md §Handshake payload),
 * authenticated by the handshake: the founding opening of a device that founds its
 * vault, and `takeOver` from a device whose vault's enclave went silent, asking the
 * enclave it now hand-shakes with to take the vault's lease from that owner (decision
 * 0078).
 */
export interface HandshakePayload {
  founding?: FoundingOpening;
  takeOver?: boolean;
}

const SIGNING_KEY_BYTES = 32;
const FIELDS = ["signingKey", "takeOver", "v", "vaultSalt"];

/**
 * Encodes payload 1: empty when there is nothing to say, otherwise
 * `{v, signingKey, vaultSalt}` for a founding device and `takeOver: true` for a take-over,
 * as CBOR.
 */
export function encodeHandshakePayload(payload: HandshakePayload): Uint8Array {
  if (!payload.founding && !payload.takeOver) return new Uint8Array(0);
  const map: WireMap = { v: VAULT_PROTOCOL_VERSION };
  if (payload.founding) {
    map.signingKey = new Uint8Array(payload.founding.signingKey);
    map.vaultSalt = new Uint8Array(payload.founding.vaultSalt);
  }
  if (payload.takeOver) map.takeOver = true;
  return encodeWire(map);
}

/**
 * Reads payload 1: `{}` when it is empty.
 * @throws VettidError `BAD_REQUEST` for anything but exactly such a map (a founding
 *   opening has both its fields, `takeOver` is `true` when present, the map says
 *   something).
 */
export function parseHandshakePayload(payload: Uint8Array): HandshakePayload {
  if (payload.length === 0) return {};
  const refuse = (): never => {
    throw new VettidError("BAD_REQUEST", "the handshake payload is not a founding opening or a take-over");
  };
  const map = decodeWire(payload);
  const keys = Object.keys(map);
  if (keys.some((k) => !FIELDS.includes(k)) || map.v !== VAULT_PROTOCOL_VERSION) refuse();
  const { signingKey, vaultSalt, takeOver } = map;
  const result: HandshakePayload = {};
  if (signingKey !== undefined || vaultSalt !== undefined) {
    if (
      !(signingKey instanceof Uint8Array) ||
      signingKey.length !== SIGNING_KEY_BYTES ||
      !(vaultSalt instanceof Uint8Array) ||
      vaultSalt.length !== VAULT_SALT_BYTES
    ) {
      refuse();
    }
    result.founding = { signingKey: signingKey as Uint8Array, vaultSalt: vaultSalt as Uint8Array };
  }
  if (takeOver !== undefined) {
    if (takeOver !== true) refuse();
    result.takeOver = true;
  }
  if (!result.founding && !result.takeOver) refuse();
  return result;
}

/** Whether `opening` with the device's exchange key opens `vaultId`'s commitment. */
export function opensVaultId(vaultId: string, exchangeKey: Uint8Array, opening: FoundingOpening): boolean {
  return isVaultIdFor(vaultId, { signingKey: opening.signingKey, exchangeKey }, opening.vaultSalt);
}

/**
 * What the enclave says in its handshake's payload 2 (docs/protocol.md §Handshake
 * payload), authenticated by the handshake: the vault's state version and whether it
 * is initialized for a session it opened, or why it opened none (decision 0079). A
 * refusal made so is the enclave's own; the host cannot forge one.
 */
export type HandshakeAnswer =
  | { ok: true; stateVersion: number; initialized: boolean }
  | { ok: false; code: ErrorCode; message: string };

const MAX_REFUSAL_MESSAGE = 500;

/** Encodes payload 2: `{stateVersion, initialized}`, or `{refused: code, message}`, as CBOR. */
export function encodeHandshakeAnswer(answer: HandshakeAnswer): Uint8Array {
  if (answer.ok) return encodeWire({ stateVersion: answer.stateVersion, initialized: answer.initialized });
  return encodeWire({ refused: answer.code, message: answer.message.slice(0, MAX_REFUSAL_MESSAGE) });
}

/**
 * Reads payload 2.
 * @throws VettidError `BAD_REQUEST` for anything but exactly one of those maps (a
 *   refusal's code one of the error codes, its message at most 500 characters).
 */
export function parseHandshakeAnswer(payload: Uint8Array): HandshakeAnswer {
  const refuse = (): never => {
    throw new VettidError("BAD_REQUEST", "the handshake answer is not a session's state nor a refusal");
  };
  const map = decodeWire(payload);
  const keys = Object.keys(map).sort();
  if (keys.join() === "initialized,stateVersion") {
    const { stateVersion, initialized } = map;
    if (typeof stateVersion !== "number" || !Number.isSafeInteger(stateVersion) || stateVersion < 0) refuse();
    if (typeof initialized !== "boolean") refuse();
    return { ok: true, stateVersion: stateVersion as number, initialized: initialized as boolean };
  }
  if (keys.join() === "message,refused") {
    const { refused, message } = map;
    if (!(ERROR_MESSAGE_CODES as readonly unknown[]).includes(refused)) refuse();
    if (typeof message !== "string" || message.length > MAX_REFUSAL_MESSAGE) refuse();
    return { ok: false, code: refused as ErrorCode, message: message as string };
  }
  return refuse();
}

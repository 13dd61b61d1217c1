import { type ErrorCode, VettidError } from "../errors";
import { HANDSHAKE_KEYS_DIGEST_BYTES, MAX_MESSAGE1_BYTES, MAX_MESSAGE2_BYTES } from "../handshake";
import { decodeWire, encodeWire } from "./codec";
import {
  ATTEST_NONCE_BYTES,
  ATTESTATION_DIGEST_BYTES,
  ERROR_MESSAGE_CODES,
  MAX_AVOIDED_ENCLAVES,
  MAX_MESSAGE_BYTES,
  MAX_SESSION_ID_LENGTH,
  MESSAGE_TYPES,
  VAULT_PROTOCOL_VERSION,
} from "./constants";
import { bytes, oneOf, only, text } from "./fields";

/** Largest attestation document (lib/proxy-protocol MAX_ATTESTATION_BYTES). */
const MAX_DOCUMENT_BYTES = 16 * 1024;
/** X25519 and ML-KEM-768 public key sizes. */
const X25519_BYTES = 32;
const MLKEM768_PUBLIC_BYTES = 1184;

/** A device → enclave message on the vault's request subject. */
export type DeviceMessage =
  | {
      t: "attest";
      nonce: Uint8Array;
      /**
       * Handshake key digests of enclaves that went silent for this device (1..4): an
       * enclave whose keys are named does not answer, and one that does not own the
       * vault answers so that the device may take the vault over (decision 0078).
       */
      avoid?: Uint8Array[];
    }
  | { t: "handshake"; attestation: Uint8Array; message: Uint8Array }
  | { t: "sealed"; session: string; envelope: Uint8Array };

/** An enclave → device answer. */
export type EnclaveMessage =
  | { t: "attestation"; document: Uint8Array; x25519: Uint8Array; mlkem: Uint8Array }
  | { t: "handshake"; message: Uint8Array }
  | { t: "sealed"; envelope: Uint8Array }
  | { t: "error"; code: ErrorCode; message: string };

const DEVICE_TYPES = [MESSAGE_TYPES.attest, MESSAGE_TYPES.handshake, MESSAGE_TYPES.sealed] as const;
const ENCLAVE_TYPES = [
  MESSAGE_TYPES.attestation,
  MESSAGE_TYPES.handshake,
  MESSAGE_TYPES.sealed,
  MESSAGE_TYPES.error,
] as const;

/** Encodes a device message. */
export function encodeDeviceMessage(message: DeviceMessage): Uint8Array {
  return encodeWire({ v: VAULT_PROTOCOL_VERSION, ...message });
}

/** Encodes an enclave answer. */
export function encodeEnclaveMessage(message: EnclaveMessage): Uint8Array {
  return encodeWire({ v: VAULT_PROTOCOL_VERSION, ...message });
}

function version(map: Record<string, unknown>): void {
  if (map.v !== VAULT_PROTOCOL_VERSION) throw new VettidError("BAD_REQUEST", "unsupported vault protocol version");
}

/** An attestation request's `avoid`: 1..{@link MAX_AVOIDED_ENCLAVES} key digests, counted before any is read. */
function avoided(value: unknown): Uint8Array[] {
  if (
    !Array.isArray(value) ||
    value.length < 1 ||
    value.length > MAX_AVOIDED_ENCLAVES ||
    !value.every((d) => d instanceof Uint8Array && d.length === HANDSHAKE_KEYS_DIGEST_BYTES)
  ) {
    throw new VettidError(
      "VALIDATION_FAILED",
      `avoid must be 1..${MAX_AVOIDED_ENCLAVES} key digests of ${HANDSHAKE_KEYS_DIGEST_BYTES} bytes`,
    );
  }
  return value as Uint8Array[];
}

/**
 * Parses a device message (untrusted: from NATS, through the host).
 * @throws VettidError `BAD_REQUEST` / `VALIDATION_FAILED`.
 */
export function parseDeviceMessage(raw: Uint8Array): DeviceMessage {
  const map = decodeWire(raw);
  version(map);
  const t = oneOf(map, "t", DEVICE_TYPES);
  switch (t) {
    case "attest": {
      only(map, ["v", "t", "nonce", "avoid"], "attest");
      const nonce = bytes(map, "nonce", ATTEST_NONCE_BYTES, ATTEST_NONCE_BYTES);
      if (map.avoid === undefined) return { t, nonce };
      return { t, nonce, avoid: avoided(map.avoid) };
    }
    case "handshake":
      only(map, ["v", "t", "attestation", "message"], "handshake");
      return {
        t,
        attestation: bytes(map, "attestation", ATTESTATION_DIGEST_BYTES, ATTESTATION_DIGEST_BYTES),
        message: bytes(map, "message", 1, MAX_MESSAGE1_BYTES),
      };
    default:
      only(map, ["v", "t", "session", "envelope"], "sealed");
      return {
        t,
        session: text(map, "session", 1, MAX_SESSION_ID_LENGTH),
        envelope: bytes(map, "envelope", 1, MAX_MESSAGE_BYTES),
      };
  }
}

/**
 * Parses an enclave answer (untrusted until its contents are verified: the document
 * by lib/attestation, the handshake and envelopes by their AEADs).
 * @throws VettidError `BAD_REQUEST` / `VALIDATION_FAILED`.
 */
export function parseEnclaveMessage(raw: Uint8Array): EnclaveMessage {
  const map = decodeWire(raw);
  version(map);
  const t = oneOf(map, "t", ENCLAVE_TYPES);
  switch (t) {
    case "attestation":
      only(map, ["v", "t", "document", "x25519", "mlkem"], "attestation");
      return {
        t,
        document: bytes(map, "document", 1, MAX_DOCUMENT_BYTES),
        x25519: bytes(map, "x25519", X25519_BYTES, X25519_BYTES),
        mlkem: bytes(map, "mlkem", MLKEM768_PUBLIC_BYTES, MLKEM768_PUBLIC_BYTES),
      };
    case "handshake":
      only(map, ["v", "t", "message"], "handshake");
      return { t, message: bytes(map, "message", 1, MAX_MESSAGE2_BYTES) };
    case "sealed":
      only(map, ["v", "t", "envelope"], "sealed");
      return { t, envelope: bytes(map, "envelope", 1, MAX_MESSAGE_BYTES) };
    default: {
      only(map, ["v", "t", "code", "message"], "error");
      const code = text(map, "code", 1, 64);
      const known = (ERROR_MESSAGE_CODES as readonly string[]).includes(code);
      return { t, code: known ? (code as ErrorCode) : "INTERNAL", message: text(map, "message", 0, 500) };
    }
  }
}

/**
 * Builds tests/vectors/vault-protocol-v1.json (docs/protocol.md §Vault protocol and
 * §Vault operations): the CBOR bytes of one message of each kind on a vault's request
 * subject, the handshake's payload 2, one request body per operation and one answer
 * body per operation (plus failures), all written by lib/vault-protocol's encoders.
 * Called by generate.ts, which passes the handshake and envelope vectors so that the
 * messages carry the same handshake messages and envelopes as those files.
 */
import { type Sodium, sodiumReady } from "../../lib/crypto";
import { deviceFingerprint, signRevocationStatement } from "../../lib/pairing";
import { auditChainEnd, auditGenesis, encodeAuditEntry } from "../../lib/vault-audit";
import {
  type DeviceMessage,
  type EnclaveMessage,
  encodeDeviceMessage,
  encodeEnclaveMessage,
  encodeFailure,
  encodeHandshakeAnswer,
  encodeRequest,
  encodeResult,
  VAULT_OPS,
  VAULT_PROTOCOL_VERSION,
  type VaultFailure,
  type VaultOp,
  type VaultRequest,
  type VaultResults,
  type WireMap,
  type WireValue,
} from "../../lib/vault-protocol";
import { syncGenesis } from "../../lib/vault-sync";
import { syncEvents } from "./generate-sync";

/** What this file takes from the handshake vectors (handshake-v1.json). */
interface HandshakeSource {
  enclave: { x25519PublicKey: string; mlkemPublicKey: string };
  context: { attestationDocument: string; attestationDigest: string };
  cases: { message1: string; message2: string }[];
}

/** What this file takes from the envelope vectors (envelope-v2.json). */
interface EnvelopeSource {
  context: { sessionId: string };
  cases: Record<string, unknown>[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const run = (n: number, first: number) => new Uint8Array(n).map((_, i) => (first + i) & 0xff);

/** A protocol value as JSON: byte strings as `{"$bytes": hex}`, everything else as is. */
function json(value: WireValue | undefined): unknown {
  if (value instanceof Uint8Array) return { $bytes: hex(value) };
  if (Array.isArray(value)) return value.map(json);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, json(v)]));
  }
  return value;
}

function first<T>(list: T[], what: string): T {
  const item = list[0];
  if (item === undefined) throw new Error(`the ${what} vectors have no case`);
  return item;
}

/**
 * A page of the audit log as `vault.audit` answers it: the first two entries of
 * audit-log-v1.json's vault (generate-audit.ts), from digest_0 to the head after them.
 */
function auditPage() {
  const vaultId = "v_Zp3c8QmR2b7XyL0aKf4TnW";
  const t0 = 1_796_119_200_000;
  const entries = [
    encodeAuditEntry({ seq: 1, at: t0, kind: "vault.initialized", device: "dev-phone", detail: {} }),
    encodeAuditEntry({
      seq: 2,
      at: t0 + 60_000,
      kind: "unlock.attempted",
      device: "dev-phone",
      detail: { failures: 1 },
    }),
  ];
  const before = auditGenesis(vaultId);
  return { entries, before, headSeq: 2, headDigest: auditChainEnd(vaultId, before, entries) };
}

/**
 * A page of changes as `vault.changes` answers it: the first two events of sync-v1.json's
 * vault (generate-sync.ts), from digest_0, with the head after all five.
 */
function changesPage() {
  const vaultId = "v_Zp3c8QmR2b7XyL0aKf4TnW";
  const { encoded, digests } = syncEvents(vaultId);
  return {
    events: encoded.slice(0, 2),
    before: syncGenesis(vaultId),
    headSeq: encoded.length,
    headDigest: digests[digests.length - 1] as Uint8Array,
    cursor: 3,
  };
}

/** Fixed inputs: the vault's identity key, the answers' times and the challenge it signs. */
function fixtures(s: Sodium) {
  const identity = s.crypto_sign_seed_keypair(new Uint8Array(32).fill(0x03));
  const challenge = new TextEncoder().encode("example.org sign-in 2026-12-01T10:00:00Z nonce 5f0c9a21");
  return {
    identitySeed: new Uint8Array(32).fill(0x03),
    identityKey: identity.publicKey,
    challenge,
    itemValue: new TextEncoder().encode('{"user":"anna","password":"s3cr3t"}'),
    signature: s.crypto_sign_detached(challenge, identity.privateKey),
    signingKey: s.crypto_sign_seed_keypair(new Uint8Array(32).fill(0x01)).publicKey,
    identitySecretKey: identity.privateKey,
    newDevice: {
      signingKey: s.crypto_sign_seed_keypair(new Uint8Array(32).fill(0x04)).publicKey,
      exchangeKey: s.crypto_scalarmult_base(new Uint8Array(32).fill(0x05)),
    },
    vaultSalt: run(16, 0x00),
    createdAt: 1_796_119_200_000, // 2026-12-01T10:00:00Z
    updatedAt: 1_796_205_600_000, // 2026-12-02T10:00:00Z
    auditPage: auditPage(),
    changesPage: changesPage(),
    recoverySecret: run(30, 0x70),
    /** Stands in for a backup file's bytes (docs/protocol.md §Backup file): the vectors show the encoding only. */
    backup: Uint8Array.of(0x56, 0x54, 0x42, 0x4b, 0x01, ...run(59, 0x80)),
  };
}

/** The vectors as a JSON-ready object. */
export async function vaultProtocolVectors(sources: {
  handshake: Record<string, unknown>;
  envelope: EnvelopeSource;
}): Promise<Record<string, unknown>> {
  const s = await sodiumReady();
  const f = fixtures(s);
  const handshake = sources.handshake as unknown as HandshakeSource;
  const handshakeCase = first(handshake.cases, "handshake");
  const request = first(sources.envelope.cases, "envelope");
  const answer = sources.envelope.cases.find((c) => c.answersCase === 0);
  if (typeof request.envelope !== "string" || typeof answer?.envelope !== "string") {
    throw new Error("the envelope vectors need a request (case 0) and its answer");
  }

  const deviceMessages: { source: string; message: DeviceMessage }[] = [
    { source: "nonce: 32 fixed bytes", message: { t: "attest", nonce: run(32, 0xa0) } },
    {
      source:
        "handshake-v1.json: attestation = context.attestationDigest (SHA-256 of context.attestationDocument), " +
        "message = cases[0].message1",
      message: {
        t: "handshake",
        attestation: unhex(handshake.context.attestationDigest),
        message: unhex(handshakeCase.message1),
      },
    },
    {
      source: "envelope-v2.json: session = context.sessionId, envelope = cases[0].envelope",
      message: { t: "sealed", session: sources.envelope.context.sessionId, envelope: unhex(request.envelope) },
    },
  ];
  const enclaveMessages: { source: string; message: EnclaveMessage }[] = [
    {
      source:
        "handshake-v1.json: document = context.attestationDocument (a stand-in, not a COSE_Sign1 document), " +
        "x25519 = enclave.x25519PublicKey, mlkem = enclave.mlkemPublicKey",
      message: {
        t: "attestation",
        document: unhex(handshake.context.attestationDocument),
        x25519: unhex(handshake.enclave.x25519PublicKey),
        mlkem: unhex(handshake.enclave.mlkemPublicKey),
      },
    },
    {
      source: "handshake-v1.json: message = cases[0].message2",
      message: { t: "handshake", message: unhex(handshakeCase.message2) },
    },
    {
      source: "envelope-v2.json: envelope = the answer to case 0",
      message: { t: "sealed", envelope: unhex(answer.envelope) },
    },
    {
      source: "an unsealed error, as the enclave answers a sealed message for a session it does not hold",
      message: { t: "error", code: "UNAUTHENTICATED", message: "no such session; attest and handshake again" },
    },
  ];
  const messages = [
    ...deviceMessages.map(({ source, message }) => ({
      direction: "device-to-enclave",
      source,
      fields: json({ v: VAULT_PROTOCOL_VERSION, ...message } as WireMap),
      encoded: hex(encodeDeviceMessage(message)),
    })),
    ...enclaveMessages.map(({ source, message }) => ({
      direction: "enclave-to-device",
      source,
      fields: json({ v: VAULT_PROTOCOL_VERSION, ...message } as WireMap),
      encoded: hex(encodeEnclaveMessage(message)),
    })),
  ];

  const payload2: WireMap = { stateVersion: 0, initialized: false };
  const refusal: WireMap = { refused: "FORBIDDEN", message: "the device key is not authorized for this vault" };

  const requests: VaultRequest[] = [
    { op: "vault.status" },
    { op: "vault.init", pin: "482915", signingKey: f.signingKey, vaultSalt: f.vaultSalt },
    { op: "vault.unlock", pin: "482915" },
    { op: "vault.lock" },
    { op: "pin.change", pin: "482915", newPin: "correct horse battery" },
    { op: "items.put", name: "bank", type: "login", value: f.itemValue },
    { op: "items.get", name: "bank" },
    { op: "items.list" },
    { op: "items.delete", name: "bank" },
    { op: "identity.key" },
    { op: "identity.sign", challenge: f.challenge },
    { op: "vault.audit", fromSeq: 1, limit: 64 },
    { op: "vault.changes", fromSeq: 1, cursor: 1, limit: 64 },
    { op: "device.pair.start", pin: "482915" },
    { op: "device.pair.join", signingKey: f.newDevice.signingKey, label: "Anna's tablet", proof: run(32, 0x40) },
    { op: "device.approve", deviceId: "dev-tablet", pin: "482915" },
    { op: "devices.list" },
    { op: "device.revoke", deviceId: "dev-tablet", pin: "482915" },
    { op: "backup.export", pin: "482915", recoverySecret: f.recoverySecret },
    {
      op: "recovery.start",
      backup: f.backup,
      recoverySecret: f.recoverySecret,
      signingKey: f.newDevice.signingKey,
      vaultSalt: f.vaultSalt,
      pin: "482915",
    },
    {
      op: "recovery.complete",
      backup: f.backup,
      recoverySecret: f.recoverySecret,
      signingKey: f.newDevice.signingKey,
      vaultSalt: f.vaultSalt,
      pin: "482915",
    },
    { op: "recovery.cancel", pin: "482915", recoverySecret: f.recoverySecret },
  ];
  const tablet = {
    deviceId: "dev-tablet",
    label: "Anna's tablet",
    fingerprint: deviceFingerprint(f.newDevice.signingKey, f.newDevice.exchangeKey),
    addedAt: f.updatedAt,
    sas: "204381",
  };
  const revoked = signRevocationStatement(
    { vaultId: "v_Zp3c8QmR2b7XyL0aKf4TnW", deviceId: "dev-tablet", revokedAt: f.updatedAt + 3_600_000 },
    f.identitySecretKey,
  );

  const item = {
    name: "bank",
    type: "login" as const,
    value: f.itemValue,
    version: 2,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
  const results: { [O in VaultOp]: VaultResults[O] } = {
    "vault.status": {
      stateVersion: 0,
      initialized: false,
      unlocked: false,
      identityKey: null,
      recovery: null,
      recoveredInto: null,
    },
    "vault.init": { stateVersion: 1, identityKey: f.identityKey, recoverySecret: f.recoverySecret },
    "vault.unlock": { stateVersion: 3 },
    "vault.lock": { stateVersion: 3 },
    "pin.change": { stateVersion: 6 },
    "items.put": { stateVersion: 7, version: 2 },
    "items.get": { stateVersion: 7, item },
    "items.list": {
      stateVersion: 7,
      items: [
        { name: "bank", type: "login", version: 2, updatedAt: f.updatedAt },
        { name: "wifi", type: "secret", version: 1, updatedAt: f.createdAt },
      ],
    },
    "items.delete": { stateVersion: 8 },
    "identity.key": { stateVersion: 8, identityKey: f.identityKey },
    "identity.sign": { stateVersion: 8, signature: f.signature, identityKey: f.identityKey },
    "vault.audit": { stateVersion: 8, ...f.auditPage },
    "vault.changes": { stateVersion: 8, ...f.changesPage },
    "device.pair.start": { stateVersion: 10, secret: run(20, 0x30), expiresAt: f.updatedAt + 600_000 },
    "device.pair.join": { stateVersion: 11 },
    "device.approve": { stateVersion: 14, device: { ...tablet, status: "authorized", lastUsedAt: null } },
    "devices.list": {
      stateVersion: 14,
      devices: [
        {
          deviceId: "dev-phone",
          status: "authorized",
          label: "founding device",
          fingerprint: deviceFingerprint(f.signingKey, f.newDevice.exchangeKey),
          addedAt: f.createdAt,
          lastUsedAt: f.updatedAt,
          sas: null,
        },
        { ...tablet, status: "authorized", lastUsedAt: null },
      ],
    },
    "device.revoke": {
      stateVersion: 17,
      deviceId: "dev-tablet",
      revokedAt: f.updatedAt + 3_600_000,
      ...revoked,
    },
    "backup.export": { stateVersion: 19, backup: f.backup, backupId: run(16, 0x60), exportedAt: f.updatedAt },
    "recovery.start": {
      stateVersion: 0,
      sourceVaultId: "v_Zp3c8QmR2b7XyL0aKf4TnW",
      readyAt: f.updatedAt + 86_400_000,
    },
    "recovery.complete": {
      stateVersion: 1,
      sourceVaultId: "v_Zp3c8QmR2b7XyL0aKf4TnW",
      identityKey: f.identityKey,
      items: 2,
    },
    "recovery.cancel": { stateVersion: 21 },
  };
  const failures: { op: VaultOp; failure: VaultFailure }[] = [
    { op: "vault.unlock", failure: { code: "PIN_INCORRECT", message: "the PIN is incorrect", stateVersion: 9 } },
    {
      op: "vault.unlock",
      failure: {
        code: "PIN_LOCKED_OUT",
        message: "too many wrong PINs; try again after 2026-12-02T10:00:30.000Z",
        retryAfterMs: 30_000,
        stateVersion: 11,
      },
    },
    {
      op: "items.get",
      failure: { code: "VAULT_LOCKED", message: "unlock the vault in this session first", stateVersion: 11 },
    },
  ];

  return {
    description:
      "VettID vault protocol v1 (docs/protocol.md §Vault protocol, §Vault operations): CBOR maps with text keys, " +
      "definite lengths, no tags, written by lib/vault-protocol. `fields` gives each map as JSON with byte strings " +
      'as {"$bytes": hex}; `encoded` is the CBOR in hex. Key order carries no meaning; these are the encoder\'s. ' +
      "Integers of 2^32 and more (the answers' times) are written as float64 (0xfb) by this encoder. " +
      "Request bodies travel as the body of a sealed envelope whose op is `op`; answer bodies as the answer's body.",
    version: VAULT_PROTOCOL_VERSION,
    operations: Object.values(VAULT_OPS),
    messages,
    handshakePayload2: {
      description:
        "the enclave's handshake payload 2 (inside message 2): the vault's state version and whether it exists",
      fields: json(payload2),
      encoded: hex(encodeHandshakeAnswer({ ok: true, stateVersion: 0, initialized: false })),
    },
    handshakeRefusal: {
      description:
        "the enclave's handshake payload 2 when it opens no session (decision 0079): the error code and message",
      fields: json(refusal),
      encoded: hex(encodeHandshakeAnswer({ ok: false, code: "FORBIDDEN", message: refusal.message as string })),
    },
    requests: requests.map((r) => {
      const { op, ...body } = r;
      return { op, fields: json(body as WireMap), encoded: hex(encodeRequest(r)) };
    }),
    answers: [
      ...(Object.keys(results) as VaultOp[]).map((op) => ({
        op,
        ok: true,
        fields: json({ ok: true, ...(results[op] as unknown as WireMap) }),
        encoded: hex(encodeResult(op, results[op])),
      })),
      ...failures.map(({ op, failure }) => ({
        op,
        ok: false,
        fields: json({ ok: false, ...(failure as unknown as WireMap) }),
        encoded: hex(encodeFailure(failure)),
      })),
    ],
    identity: {
      description:
        "the vault identity key of the answers: Ed25519 from this 32-byte seed; answers[identity.sign].signature " +
        "is Ed25519 over requests[identity.sign].challenge, as given, and answers[device.revoke].signature over " +
        "answers[device.revoke].statement",
      seed: hex(f.identitySeed),
      publicKey: hex(f.identityKey),
    },
  };
}

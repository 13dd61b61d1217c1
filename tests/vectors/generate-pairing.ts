/**
 * Builds tests/vectors/pairing-v1.json (docs/protocol.md §Pairing): fixed keys, a
 * fixed pairing secret and handshake hash, and what lib/pairing derives from them —
 * the transcript, the proof, the short authentication string (with the digest it
 * comes from) and the device fingerprint — plus cases that must give another proof
 * (another key, another session), a signed revocation statement, and a pairing code.
 * Called by generate.ts.
 */
import { sodiumReady } from "../../lib/crypto";
import {
  deviceFingerprint,
  encodePairingCode,
  identityFingerprint,
  PAIRING_LABELS,
  pairingProof,
  pairingSas,
  pairingTranscript,
  signRevocationStatement,
} from "../../lib/pairing";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const filled = (n: number, byte: number) => new Uint8Array(n).fill(byte);
const run = (n: number, first: number) => new Uint8Array(n).map((_, i) => (first + i) & 0xff);

/** The vectors as a JSON-ready object. */
export async function pairingVectors(): Promise<Record<string, unknown>> {
  const s = await sodiumReady();
  const signingSeed = filled(32, 0x04);
  const exchangePrivate = filled(32, 0x05);
  const signingKey = s.crypto_sign_seed_keypair(signingSeed).publicKey;
  const exchangeKey = s.crypto_scalarmult_base(exchangePrivate);
  const secret = run(20, 0x30);
  const input = {
    vaultId: "vlt_d1723a6e897a7cd2a4e0d0fd0e664163",
    deviceId: "dev-tablet",
    signingKey,
    exchangeKey,
    handshakeHash: run(64, 0x80),
  };
  const transcript = pairingTranscript(input);
  const sasDigest = s.crypto_generichash(
    32,
    new Uint8Array([...new TextEncoder().encode(PAIRING_LABELS.sas), ...transcript]),
    secret,
  );
  const otherKey = s.crypto_scalarmult_base(filled(32, 0x06));
  const identity = s.crypto_sign_seed_keypair(filled(32, 0x03));
  const statement = { vaultId: input.vaultId, deviceId: input.deviceId, revokedAt: 1_796_209_200_000 };
  const signed = signRevocationStatement(statement, identity.privateKey);
  return {
    description:
      "VettID pairing v1 (docs/protocol.md §Pairing): BLAKE2b keyed with the 20-byte pairing secret over a label " +
      "and the transcript; SAS = u32be(sasDigest[0..4)) mod 10^6 as 6 digits. Keys: Ed25519 from signingSeed " +
      "(RFC 8032), X25519 = X25519(exchangePrivateKey, 9). All byte strings in hex.",
    labels: PAIRING_LABELS,
    inputs: {
      vaultId: input.vaultId,
      deviceId: input.deviceId,
      signingSeed: hex(signingSeed),
      signingKey: hex(signingKey),
      exchangePrivateKey: hex(exchangePrivate),
      exchangeKey: hex(exchangeKey),
      handshakeHash: hex(input.handshakeHash),
      secret: hex(secret),
    },
    transcript: hex(transcript),
    proof: hex(pairingProof(secret, input)),
    sasDigest: hex(sasDigest),
    sas: pairingSas(secret, input),
    fingerprint: deviceFingerprint(signingKey, exchangeKey),
    otherProofs: [
      {
        what: "the same secret for another X25519 key (X25519(0x06…, 9)): a relayed proof",
        exchangeKey: hex(otherKey),
        proof: hex(pairingProof(secret, { ...input, exchangeKey: otherKey })),
      },
      {
        what: "the same secret and keys in another session (handshake hash 0x00…)",
        handshakeHash: hex(new Uint8Array(64)),
        proof: hex(pairingProof(secret, { ...input, handshakeHash: new Uint8Array(64) })),
      },
    ],
    revocation: {
      description:
        "a revocation statement: UTF-8 of the four lines joined by \\n, signed with plain Ed25519 by the vault's " +
        "identity key (from identitySeed)",
      identitySeed: hex(filled(32, 0x03)),
      identityKey: hex(identity.publicKey),
      ...statement,
      statement: hex(signed.statement),
      signature: hex(signed.signature),
    },
    code: {
      description:
        "a pairing code (docs/protocol.md §Pairing codes): the invitation's 16 symbols, the secret's 32, the identity " +
        "fingerprint's 16 (BLAKE2b-256(label ‖ identityKey)[0..10)), and 4 checksum symbols " +
        "(BLAKE2b-256(label ‖ ASCII of the 64 symbols before)[0..20 bits)), in groups of four",
      invitationCode: PAIRING_CODE_INVITATION,
      secret: hex(secret),
      identityKey: hex(identity.publicKey),
      identityFingerprint: hex(identityFingerprint(identity.publicKey)),
      checksumDigest: hex(
        s.crypto_generichash(
          32,
          new TextEncoder().encode(
            PAIRING_LABELS.code +
              encodePairingCode({
                invitationCode: PAIRING_CODE_INVITATION,
                secret,
                identityFingerprint: identityFingerprint(identity.publicKey),
              })
                .replace(/-/g, "")
                .slice(0, 64),
          ),
          null,
        ),
      ),
      code: encodePairingCode({
        invitationCode: PAIRING_CODE_INVITATION,
        secret,
        identityFingerprint: identityFingerprint(identity.publicKey),
      }),
    },
  };
}

/** The vector's edge invitation code (any 16 symbols of the alphabet). */
const PAIRING_CODE_INVITATION = "7Q2M-K9TD-XW4H-R8FB";

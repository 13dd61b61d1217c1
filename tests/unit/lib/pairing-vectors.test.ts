import { sodiumReady } from "../../../lib/crypto";
import {
  deviceFingerprint,
  encodePairingCode,
  identityFingerprint,
  pairingProof,
  pairingSas,
  pairingTranscript,
  parsePairingCode,
  parseRevocationStatement,
  verifyRevocationStatement,
} from "../../../lib/pairing";
import vectors from "../../vectors/pairing-v1.json";

const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("pairing vectors (tests/vectors/pairing-v1.json)", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  const i = vectors.inputs;
  const input = () => ({
    vaultId: i.vaultId,
    deviceId: i.deviceId,
    signingKey: bytes(i.signingKey),
    exchangeKey: bytes(i.exchangeKey),
    handshakeHash: bytes(i.handshakeHash),
  });

  it("derives the keys, transcript, proof, short authentication string and fingerprint of the vector", async () => {
    // Prepare
    const s = await sodiumReady();

    // Assess
    expect(hex(s.crypto_sign_seed_keypair(bytes(i.signingSeed)).publicKey)).toBe(i.signingKey);
    expect(hex(s.crypto_scalarmult_base(bytes(i.exchangePrivateKey)))).toBe(i.exchangeKey);
    expect(hex(pairingTranscript(input()))).toBe(vectors.transcript);
    expect(hex(pairingProof(bytes(i.secret), input()))).toBe(vectors.proof);
    expect(pairingSas(bytes(i.secret), input())).toBe(vectors.sas);
    const value = Buffer.from(bytes(vectors.sasDigest)).readUInt32BE(0) % 1_000_000;
    expect(String(value).padStart(6, "0")).toBe(vectors.sas);
    expect(deviceFingerprint(bytes(i.signingKey), bytes(i.exchangeKey))).toBe(vectors.fingerprint);
  });

  it("gives another proof for another key or another session", () => {
    const [otherKey, otherSession] = vectors.otherProofs as unknown as [
      { exchangeKey: string; proof: string },
      { handshakeHash: string; proof: string },
    ];
    const relayed = pairingProof(bytes(i.secret), { ...input(), exchangeKey: bytes(otherKey.exchangeKey) });
    const replayed = pairingProof(bytes(i.secret), { ...input(), handshakeHash: bytes(otherSession.handshakeHash) });
    expect(hex(relayed)).toBe(otherKey.proof);
    expect(hex(replayed)).toBe(otherSession.proof);
    expect(new Set([vectors.proof, otherKey.proof, otherSession.proof]).size).toBe(3);
  });

  it("verifies the signed revocation statement, and refuses it changed or under another key", () => {
    const r = vectors.revocation;
    const statement = bytes(r.statement);
    expect(Buffer.from(statement).toString()).toBe(`VETTID-REVOCATION-1\n${r.vaultId}\n${r.deviceId}\n${r.revokedAt}`);
    expect(verifyRevocationStatement(statement, bytes(r.signature), bytes(r.identityKey))).toEqual({
      vaultId: r.vaultId,
      deviceId: r.deviceId,
      revokedAt: r.revokedAt,
    });
    const changed = new Uint8Array(statement);
    changed[changed.length - 1] = (changed[changed.length - 1] as number) ^ 1;
    expect(() => verifyRevocationStatement(changed, bytes(r.signature), bytes(r.identityKey))).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
    expect(() => verifyRevocationStatement(statement, bytes(r.signature), bytes(i.signingKey))).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
    expect(() => parseRevocationStatement(new TextEncoder().encode("VETTID-REVOCATION-1\nv\nd\n007"))).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });

  it("encodes and reads the pairing code of the vector, and refuses every one-symbol change and swap of it", () => {
    // Prepare
    const c = vectors.code;
    const fingerprint = identityFingerprint(bytes(c.identityKey));
    const symbols = c.code.replace(/-/g, "");
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    // Act
    const parsed = parsePairingCode(c.code);
    const changed: string[] = [];
    for (let i = 0; i < symbols.length; i += 1) {
      for (const a of alphabet) if (a !== symbols[i]) changed.push(symbols.slice(0, i) + a + symbols.slice(i + 1));
      if (i + 1 < symbols.length && symbols[i] !== symbols[i + 1]) {
        changed.push(symbols.slice(0, i) + symbols[i + 1] + symbols[i] + symbols.slice(i + 2));
      }
    }
    const refused = changed.filter((text) => {
      try {
        parsePairingCode(text);
        return false;
      } catch (err) {
        return (err as { code?: string }).code === "PAIRING_CODE_INVALID";
      }
    });

    // Assess
    expect(hex(fingerprint)).toBe(c.identityFingerprint);
    expect(
      encodePairingCode({
        invitationCode: c.invitationCode,
        secret: bytes(c.secret),
        identityFingerprint: fingerprint,
      }),
    ).toBe(c.code);
    expect(c.code.slice(0, 19)).toBe(c.invitationCode);
    expect({ ...parsed, secret: hex(parsed.secret), identityFingerprint: hex(parsed.identityFingerprint) }).toEqual({
      invitationCode: c.invitationCode,
      secret: c.secret,
      identityFingerprint: c.identityFingerprint,
    });
    expect(refused).toHaveLength(changed.length);
  });
});

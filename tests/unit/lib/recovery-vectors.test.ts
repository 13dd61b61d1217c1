import { sodiumReady } from "../../../lib/crypto";
import { encodeRecoverySecret, parseRecoverySecret, recoveryKey } from "../../../lib/recovery";
import { backupKey, backupKmsContext } from "../../../vault-enclave/state";
import vectors from "../../vectors/recovery-v1.json";

const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("recovery vectors (tests/vectors/recovery-v1.json)", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("gives the vector's code, recovery key and backup key, and reads the code back", () => {
    // Prepare
    const secret = bytes(vectors.secret);

    // Act
    const key = recoveryKey(secret);

    // Assess
    expect(encodeRecoverySecret(secret)).toBe(vectors.code);
    expect(hex(parseRecoverySecret(vectors.code.toLowerCase()))).toBe(vectors.secret);
    expect(hex(key)).toBe(vectors.recoveryKey);
    const b = vectors.backup;
    expect(hex(backupKey(bytes(b.backupId), { dataKey: bytes(b.dataKey), recoveryKey: key }))).toBe(b.backupKey);
    expect(backupKmsContext(b.sourceVaultId)).toEqual(b.kmsEncryptionContext);
  });

  it("ends in the checksum the description states: the first 20 bits of BLAKE2b-256(label ‖ the 48 symbols)", async () => {
    // Prepare
    const s = await sodiumReady();
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const symbols = vectors.code.replace(/-/g, "");
    const payload = symbols.slice(0, 48);

    // Act
    const digest = s.crypto_generichash(32, new TextEncoder().encode(vectors.labels.code + payload), null);
    const bits = ((digest[0] as number) << 12) | ((digest[1] as number) << 4) | ((digest[2] as number) >> 4);
    const checksum = [15, 10, 5, 0].map((shift) => alphabet[(bits >> shift) & 31]).join("");

    // Assess
    expect(symbols).toHaveLength(52);
    expect(symbols.slice(48)).toBe(checksum);
  });
});

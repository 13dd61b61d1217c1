/**
 * Opening the runtime's sealed NATS signing key and making its identity (decision 0072),
 * with KMS replaced by a function: what the host hands over is checked against the
 * measured signing key, and what was unwrapped is cleared.
 */
import { createAccount, createUser } from "@nats-io/nkeys";
import { RUNTIME_NATS_KEY_CONTEXT } from "../../../../lib/runtime-config";
import {
  openSealedNatsKey,
  runtimeNatsIdentity,
  SEALED_SEED_TEXT_BYTES,
} from "../../../../vault-enclave/nats/runtime-credentials";

const signing = createAccount();
const seedText = new TextDecoder().decode(signing.getSeed());
const account = createAccount().getPublicKey();

function source(
  plaintext: () => Uint8Array,
  seen: { contexts: unknown[]; returned: Uint8Array[] } = { contexts: [], returned: [] },
) {
  return {
    ciphertext: async () => new Uint8Array([1, 2, 3]),
    decrypt: async (_c: Uint8Array, context: Record<string, string>, bytes: number) => {
      seen.contexts.push({ context, bytes });
      const out = plaintext();
      seen.returned.push(out);
      return out;
    },
    signingPublicKey: signing.getPublicKey(),
    accountPublicKey: account,
  };
}

describe("the runtime's sealed NATS key", () => {
  it("opens the measured signing key under its own context and clears what KMS returned", async () => {
    // Prepare
    const seen = { contexts: [] as unknown[], returned: [] as Uint8Array[] };

    // Act
    const opened = await openSealedNatsKey(source(() => new TextEncoder().encode(seedText), seen));

    // Assess
    expect(opened).toBe(seedText);
    expect(seen.contexts).toEqual([{ context: { ...RUNTIME_NATS_KEY_CONTEXT }, bytes: SEALED_SEED_TEXT_BYTES }]);
    expect(seen.returned[0]?.every((b) => b === 0)).toBe(true);
  });

  it("refuses a seed of another key, a user seed, and bytes that are no seed", async () => {
    const cases = [
      new TextDecoder().decode(createAccount().getSeed()),
      new TextDecoder().decode(createUser().getSeed()),
      "S".repeat(SEALED_SEED_TEXT_BYTES),
      "short",
    ];
    for (const text of cases) {
      await expect(openSealedNatsKey(source(() => new TextEncoder().encode(text)))).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    }
  });

  it("makes a per-boot identity whose JWT names it, and renews nothing once closed", async () => {
    // Act
    const identity = await runtimeNatsIdentity(
      source(() => new TextEncoder().encode(seedText)),
      { ttlSeconds: 600, now: () => 1_800_000_000_000 },
    );
    const jwt = identity.authenticator("nonce") as { jwt: string; nkey: string; sig: string };
    const claims = JSON.parse(Buffer.from(jwt.jwt.split(".")[1] as string, "base64url").toString());
    const other = await runtimeNatsIdentity(source(() => new TextEncoder().encode(seedText)));
    identity.close();

    // Assess
    expect(identity.name).toMatch(/^rt_[0-9a-f]{32}$/);
    expect(other.name).not.toBe(identity.name);
    expect(identity.inboxPrefix).toBe(`vettid.v1.runtime.${identity.name}.inbox`);
    expect(claims.name).toBe(identity.name);
    expect(claims.sub).toBe(jwt.nkey);
    expect(claims.iss).toBe(signing.getPublicKey());
    expect(claims.exp).toBe(1_800_000_000 + 600);
    expect(identity.expiresAt).toBe(claims.exp);
    await expect(identity.renew()).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    other.close();
  });
});

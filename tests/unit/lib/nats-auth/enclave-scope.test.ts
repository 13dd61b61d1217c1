/**
 * The scoped runtime signing key (decision 0072): its template, the account JWT entry,
 * and the scoped user JWT the enclave signs for itself.
 */
import { createUser } from "@nats-io/nkeys";
import {
  ENCLAVE_SCOPE_ROLE,
  ENCLAVE_USER_LIMITS,
  enclaveInboxPrefix,
  enclavePermissions,
  enclaveScopeTemplate,
  encodeVettidAccountJwt,
  generateNatsKeyHierarchy,
  hostPermissions,
  mintScopedEnclaveUserJwt,
} from "../../../../lib/nats-auth";

const keys = generateNatsKeyHierarchy();

function decode<T>(jwt: string): { name: string; iss: string; exp: number; nats: T } {
  return JSON.parse(Buffer.from(jwt.split(".")[1] as string, "base64url").toString());
}

describe("the scoped runtime signing key", () => {
  it("has a template that, filled for one name, is that runtime's permissions without bucket creation", () => {
    // Prepare
    const fill = (subject: string) => subject.replace("{{name()}}", "rt_1");
    const template = enclaveScopeTemplate();

    // Act
    const filled = {
      pub: { allow: template.pub.allow.map(fill), deny: template.pub.deny },
      sub: { allow: template.sub.allow.map(fill), deny: template.sub.deny },
    };

    // Assess
    expect(filled).toEqual(enclavePermissions({ name: "rt_1" }));
    expect(filled.pub.allow.some((s) => s.includes("STREAM.CREATE") || s.includes("STREAM.DELETE"))).toBe(false);
    expect(filled.sub.allow).toEqual(["vettid.v1.runtime.rt_1.inbox.>"]);
  });

  it("keeps the runtime's replies out of every subject a host may subscribe to", () => {
    const hostSubs = hostPermissions().sub.allow;
    const covered = (pattern: string, subject: string) => {
      const p = pattern.split(".");
      const t = subject.split(".");
      for (let i = 0; i < p.length; i++) {
        if (p[i] === ">") return t.length > i;
        if (p[i] !== "*" && p[i] !== t[i]) return false;
      }
      return p.length === t.length;
    };
    const reply = `${enclaveInboxPrefix("rt_1")}.abc.1`;
    expect(hostSubs.filter((s) => covered(s, reply))).toEqual([]);
  });

  it("is listed in the account JWT with the runtime template and limits, standard connections only", async () => {
    // Act
    const jwt = await encodeVettidAccountJwt({
      accountPublicKey: keys.accountPublicKey,
      signingKeys: [keys.accountSigningPublicKey],
      deviceSigningKeys: [keys.deviceSigningPublicKey],
      enclaveSigningKeys: [keys.enclaveSigningPublicKey],
      operatorSeed: keys.operatorSigningSeed,
    });

    // Assess
    expect(decode<{ signing_keys: unknown[] }>(jwt).nats.signing_keys[2]).toEqual({
      kind: "user_scope",
      key: keys.enclaveSigningPublicKey,
      role: ENCLAVE_SCOPE_ROLE,
      template: {
        ...enclaveScopeTemplate(),
        ...ENCLAVE_USER_LIMITS,
        bearer_token: false,
        allowed_connection_types: ["STANDARD"],
      },
    });
  });

  it("refuses a runtime key that is also an unscoped or a device key, or not an account key", async () => {
    const base = {
      accountPublicKey: keys.accountPublicKey,
      signingKeys: [keys.accountSigningPublicKey],
      deviceSigningKeys: [keys.deviceSigningPublicKey],
      operatorSeed: keys.operatorSigningSeed,
    };
    for (const enclave of [keys.accountSigningPublicKey, keys.deviceSigningPublicKey, createUser().getPublicKey()]) {
      await expect(encodeVettidAccountJwt({ ...base, enclaveSigningKeys: [enclave] })).rejects.toThrow(TypeError);
    }
  });

  it("mints a scoped user JWT that claims nothing but its name", async () => {
    // Prepare
    const user = createUser();

    // Act
    const minted = await mintScopedEnclaveUserJwt({
      signing: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.enclaveSigningSeed },
      userPublicKey: user.getPublicKey(),
      name: "rt_1",
      ttlSeconds: 3600,
      now: 1_800_000_000_000,
    });
    const claims = decode<Record<string, unknown>>(minted.jwt);

    // Assess
    expect(claims.name).toBe("rt_1");
    expect(claims.iss).toBe(keys.enclaveSigningPublicKey);
    expect(claims.exp).toBe(1_800_000_000 + 3600);
    expect(minted.expiresAt).toBe(claims.exp);
    for (const field of ["pub", "sub", "subs", "data", "payload", "bearer_token"]) {
      expect(claims.nats).not.toHaveProperty(field);
    }
  });

  it("refuses a bad ttl, a key that is not a user nkey, and a name that is not one subject token", async () => {
    const signing = { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.enclaveSigningSeed };
    const userPublicKey = createUser().getPublicKey();
    await expect(mintScopedEnclaveUserJwt({ signing, userPublicKey, name: "rt_1", ttlSeconds: 10 })).rejects.toThrow(
      RangeError,
    );
    await expect(
      mintScopedEnclaveUserJwt({ signing, userPublicKey: keys.accountPublicKey, name: "rt_1" }),
    ).rejects.toThrow(TypeError);
    for (const name of ["*", ">", "a.b", "", "x".repeat(65)]) {
      await expect(mintScopedEnclaveUserJwt({ signing, userPublicKey, name })).rejects.toThrow(TypeError);
      expect(() => enclaveInboxPrefix(name)).toThrow(TypeError);
    }
  });
});

import { ConfigError } from "../../../lib/config";
import { assertNatsUrls, natsTlsOptions, natsUrlProblem, plaintextNatsAllowed } from "../../../lib/nats-tls";

describe("NATS URLs per environment", () => {
  it.each(["local", "dev", "staging", "prod"] as const)("accepts tls:// servers in %s", (env) => {
    expect(natsUrlProblem(["tls://10.0.0.10:4222", "tls://10.0.1.10:4222"], env)).toBeUndefined();
  });

  it.each(["staging", "prod"] as const)("refuses nats:// servers in %s and names them", (env) => {
    // Act
    const check = () => assertNatsUrls("VETTID_NATS_URL", ["tls://a:4222", "nats://b:4222"], env);
    // Assess
    expect(check).toThrow(ConfigError);
    expect(check).toThrow(
      "VETTID_NATS_URL must be tls:// outside local or dev (plaintext NATS is dev-only): nats://b:4222",
    );
  });

  it("accepts plaintext loopback only in local and dev, and never mixed with tls://", () => {
    expect(plaintextNatsAllowed("local")).toBe(true);
    expect(plaintextNatsAllowed("dev")).toBe(true);
    expect(plaintextNatsAllowed("staging")).toBe(false);
    expect(natsUrlProblem(["nats://127.0.0.1:4222"], "local")).toBeUndefined();
    expect(natsUrlProblem(["tls://a:4222", "nats://127.0.0.1:4222"], "local")).toMatch(/mixes tls:\/\/ and nats:\/\//);
  });
});

describe("natsTlsOptions", () => {
  it("verifies against the configured CA alone, TLS first when asked", () => {
    // Act
    const options = natsTlsOptions(["tls://10.0.0.10:4222"], { caPem: "PEM", handshakeFirst: true });
    // Assess: an object (nats.js then refuses a server without TLS), no switch that turns verification off.
    expect(options).toEqual({ ca: "PEM", handshakeFirst: true });
  });

  it("uses the public roots when no CA is configured, and the server's INFO first by default", () => {
    expect(natsTlsOptions(["tls://nats.vettid.example:4222"], { handshakeFirst: false })).toEqual({});
  });

  it("leaves plaintext servers alone and refuses a mixed list", () => {
    expect(natsTlsOptions(["nats://127.0.0.1:4222"], { handshakeFirst: true })).toBeUndefined();
    expect(() => natsTlsOptions(["tls://a:4222", "nats://b:4222"], { handshakeFirst: false })).toThrow(ConfigError);
  });
});

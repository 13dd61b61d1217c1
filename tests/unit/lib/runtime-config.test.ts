import { rootCertificates } from "node:tls";
import { ConfigError } from "../../../lib/config";
import { kmsTrustRoots, parseMeasuredConfig, RUNTIME_NATS_KEY_CONTEXT } from "../../../lib/runtime-config";

const DEV_CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n";

const prod = {
  environment: "prod",
  kms: {
    region: "eu-central-1",
    endpointName: "kms.eu-central-1.amazonaws.com",
    keyArn: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  },
  trustRoots: "public",
  manifestKey: { kty: "EC", crv: "P-256", x: "x", y: "y" },
  nats: {
    servername: "nats.vettid.internal",
    caPem: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n",
    handshakeFirst: true,
    accountPublicKey: `A${"B".repeat(55)}`,
    signingPublicKey: `A${"C".repeat(55)}`,
  },
};

describe("the runtime's measured configuration", () => {
  it("accepts a production configuration and trusts the public roots for KMS", () => {
    // Act
    const config = parseMeasuredConfig(prod);

    // Assess
    expect(config.kms.keyArn).toBe(prod.kms.keyArn);
    expect(kmsTrustRoots(config)).toBe(rootCertificates);
  });

  it("trusts a development CA, and nothing else, in local and dev only", () => {
    // Prepare
    const withDevCa = { ...prod, trustRoots: { devCaPem: DEV_CA } };

    // Act
    const local = parseMeasuredConfig({
      ...withDevCa,
      environment: "local",
      kms: { ...prod.kms, endpointName: "kms.vettid-local.test" },
    });

    // Assess
    expect(kmsTrustRoots(local)).toEqual([DEV_CA]);
    for (const environment of ["staging", "prod"]) {
      expect(() => parseMeasuredConfig({ ...withDevCa, environment })).toThrow(/trustRoots must be public/);
    }
  });

  it("refuses another KMS name outside local or dev, a key of another region, and unknown settings", () => {
    expect(() => parseMeasuredConfig({ ...prod, kms: { ...prod.kms, endpointName: "kms.evil.example" } })).toThrow(
      /kms.endpointName must be kms.eu-central-1.amazonaws.com/,
    );
    expect(() =>
      parseMeasuredConfig({
        ...prod,
        kms: { ...prod.kms, region: "us-east-1", endpointName: "kms.us-east-1.amazonaws.com" },
      }),
    ).toThrow(/not a key of kms.region/);
    expect(() => parseMeasuredConfig({ ...prod, natsUrl: "nats://host" })).toThrow(ConfigError);
    expect(() => parseMeasuredConfig({ ...prod, kms: { ...prod.kms, keyArn: "alias/vettid" } })).toThrow(ConfigError);
  });

  it("takes the runtime's NATS settings whole, and refuses a malformed or self-signed signing key", () => {
    // Prepare
    const nats = {
      servername: "nats.vettid.internal",
      caPem: DEV_CA,
      handshakeFirst: true,
      accountPublicKey: `A${"B".repeat(55)}`,
      signingPublicKey: `A${"C".repeat(55)}`,
    };

    // Act
    const config = parseMeasuredConfig({ ...prod, nats });

    // Assess
    expect(config.nats).toEqual(nats);
    const { nats: _none, ...withoutNats } = prod;
    expect(parseMeasuredConfig({ ...withoutNats, environment: "dev" }).nats).toBeUndefined();
    expect(() => parseMeasuredConfig(withoutNats)).toThrow(/nats must be set outside local or dev/);
    for (const bad of [
      { ...nats, signingPublicKey: nats.accountPublicKey },
      { ...nats, accountPublicKey: `U${"B".repeat(55)}` },
      { ...nats, servername: "nats://nats.vettid.internal" },
      { ...nats, caPem: "not a certificate" },
      { ...nats, handshakeFirst: "yes" },
      { ...nats, url: "tls://nats:4222" },
      { servername: nats.servername },
    ]) {
      expect(() => parseMeasuredConfig({ ...prod, nats: bad })).toThrow(ConfigError);
    }
  });

  it("names one encryption context for the sealed NATS key, apart from every vault's", () => {
    expect(RUNTIME_NATS_KEY_CONTEXT).toEqual({ purpose: "vettid-runtime-nats-key" });
    expect(Object.isFrozen(RUNTIME_NATS_KEY_CONTEXT)).toBe(true);
    expect(Object.keys(RUNTIME_NATS_KEY_CONTEXT)).not.toContain("vault");
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRuntimeConfig, type RuntimeConfigInputs } from "../../../ami/runtime-config";
import { main } from "../../../ami/write-runtime-config";
import { parseMeasuredConfig } from "../../../lib/runtime-config";
import { clientServerName } from "../../../stacks/nats-server-tls";
import { testRuntimeNatsKeyFile } from "../../policy/synth-options";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n";
const ACCOUNT = `A${"B".repeat(55)}`;
const sealed = JSON.parse(readFileSync(testRuntimeNatsKeyFile("staging"), "utf8")) as Record<string, string>;

function inputs(overrides: Partial<RuntimeConfigInputs> = {}): RuntimeConfigInputs {
  return {
    environment: "staging",
    sealingKeyArn: sealed.sealingKeyArn as string,
    natsCaPem: CA,
    natsServerName: clientServerName("vettid-staging"),
    accountPublicKey: ACCOUNT,
    runtimeNatsKeyText: readFileSync(testRuntimeNatsKeyFile("staging"), "utf8"),
    manifestKey: { kty: "EC", crv: "P-256", x: "x", y: "y" },
    ...overrides,
  };
}

describe("a release's measured runtime configuration", () => {
  it("measures the sealing key, the regional KMS name, and the NATS name, CA and signing key of the release", () => {
    // Act
    const config = buildRuntimeConfig(inputs());
    // Assess
    expect(parseMeasuredConfig(config)).toEqual(config);
    expect(config).toMatchObject({
      environment: "staging",
      kms: { region: "eu-central-1", endpointName: "kms.eu-central-1.amazonaws.com", keyArn: sealed.sealingKeyArn },
      trustRoots: "public",
      nats: {
        servername: "client.vettid-staging.nats.vettid.internal",
        caPem: CA,
        handshakeFirst: true,
        accountPublicKey: ACCOUNT,
        signingPublicKey: sealed.signingPublicKey,
      },
    });
    expect(config).not.toHaveProperty("recoveryDelaySeconds");
    expect(buildRuntimeConfig(inputs({ fips: true })).kms.endpointName).toBe("kms-fips.eu-central-1.amazonaws.com");
  });

  it("refuses a runtime NATS key of another environment or sealed with another key, and any other NATS name", () => {
    // Prepare
    const otherArn = (sealed.sealingKeyArn as string).replace(/key\/.*/, "key/00000000-0000-0000-0000-000000000000");
    const prodKey = readFileSync(testRuntimeNatsKeyFile("prod"), "utf8");
    // Act / Assess
    expect(() => buildRuntimeConfig(inputs({ sealingKeyArn: otherArn }))).toThrow(/sealed with .*not the sealing key/);
    expect(() => buildRuntimeConfig(inputs({ runtimeNatsKeyText: prodKey }))).toThrow(/is for prod, not staging/);
    expect(() => buildRuntimeConfig(inputs({ runtimeNatsKeyText: "{}" }))).toThrow(/not a vettid.runtime-nats-key/);
    expect(() => buildRuntimeConfig(inputs({ environment: "local" }))).toThrow(/not a deployed environment/);
    // an address or a route identity is not what every node's client certificate carries
    expect(() => buildRuntimeConfig(inputs({ natsServerName: "route.vettid-staging.nats.vettid.internal" }))).toThrow(
      /must be the cluster's client name/,
    );
    // what the runtime refuses, refused here: a recovery delay under a day outside dev
    expect(() => buildRuntimeConfig(inputs({ recoveryDelaySeconds: 60 }))).toThrow(/recoveryDelaySeconds/);
  });

  it("ami/write-runtime-config.ts writes it, and answers a usage error with exit 2", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "vettid-runtime-config-"));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const args = [
      "--env",
      "staging",
      "--sealing-key-arn",
      sealed.sealingKeyArn as string,
      "--nats-ca",
      file("ca.pem", CA),
      "--nats-server-name",
      clientServerName("vettid-staging"),
      "--account-public-key",
      ACCOUNT,
      "--runtime-nats-key",
      testRuntimeNatsKeyFile("staging"),
      "--manifest-key",
      file("key.json", JSON.stringify({ kty: "EC", crv: "P-256", x: "x", y: "y" })),
      "--out",
      join(dir, "runtime-config.json"),
    ];
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const error = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      // Act
      const written = main(args);
      const usage = main(args.slice(2));
      // Assess
      expect(written).toBe(0);
      expect(usage).toBe(2);
      expect(String(error.mock.calls[0]?.[0])).toContain("missing --env");
      const config = parseMeasuredConfig(JSON.parse(readFileSync(join(dir, "runtime-config.json"), "utf8")));
      expect(config.nats?.signingPublicKey).toBe(sealed.signingPublicKey);
    } finally {
      write.mockRestore();
      error.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

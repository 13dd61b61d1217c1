import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../../ami/build-enclave-bundle";

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

describe("ami/check-runtime-config.ts (before the configuration is measured into an image)", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-runtime-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = (environment: string, config: unknown) => {
    const file = join(dir, `${environment}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(config));
    return spawnSync(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "ami", "check-runtime-config.ts"), environment, file],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    );
  };

  it("accepts the production configuration and says what it pins", () => {
    // Act
    const result = check("prod", prod);

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("sealing key arn:aws:kms:eu-central-1:111122223333:key/");
    expect(result.stdout).toContain("(public roots)");
  });

  it("refuses a development CA in production, another environment's file, and bad usage", () => {
    // Act
    const devCa = check("prod", {
      ...prod,
      trustRoots: { devCaPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" },
    });
    const otherEnvironment = check("staging", prod);
    const usage = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "ami", "check-runtime-config.ts")], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });

    // Assess
    expect(devCa.status).toBe(1);
    expect(devCa.stderr.trim().split("\n")).toHaveLength(1);
    expect(devCa.stderr).toContain("trustRoots must be public");
    expect(otherEnvironment.status).toBe(1);
    expect(otherEnvironment.stderr).toContain("for prod, not staging");
    expect(usage.status).toBe(2);
  });
});

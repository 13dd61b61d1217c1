import { ConfigError, loadConfig } from "../../../lib/config";
import { NATS_TUNNEL_IDLE_TIMEOUT_MS } from "../../../vsock-proxy/channels/tunnel";
import { kmsTunnelTarget, natsTunnelTarget, ProxyConfigSchema } from "../../../vsock-proxy/config";

const base = {
  VETTID_ENV: "prod",
  VETTID_PROXY_SOCKET: "/run/vettid/enclave.sock",
  VETTID_NATS_URL: "tls://a:4222, tls://b:4222",
  VETTID_NATS_CA_FILE: "/etc/vettid/nats-ca.pem",
  VETTID_PROXY_VAULTS: "v1,v2",
  AWS_REGION: "eu-central-1",
  VETTID_BLOB_BUCKET: "vettid-sealed",
  VETTID_MANIFEST_FILE: "/etc/vettid/m.json",
  VETTID_MANIFEST_KEY_FILE: "/etc/vettid/k.json",
  VETTID_HOST_ID: "i-0123456789abcdef0",
  VETTID_HOST_ARN: "arn:aws:ec2:eu-central-1:333333333333:instance/i-0123456789abcdef0",
  VETTID_TABLE_NAME: "vettid-prod",
};

describe("vsock-proxy configuration", () => {
  it("accepts a production configuration and fills defaults", () => {
    const config = loadConfig(ProxyConfigSchema, base);
    expect(config.VETTID_NATS_URL).toEqual(["tls://a:4222", "tls://b:4222"]);
    expect(config.VETTID_PROXY_VAULTS).toEqual(["v1", "v2"]);
    expect(config.VETTID_PROXY_HEALTH_PORT).toBe(8081);
    expect(config.VETTID_PROXY_DRAIN_MS).toBe(10_000);
  });

  it.each(["staging", "prod"])("refuses plaintext nats:// servers with VETTID_ENV=%s, with one line", (env) => {
    // Prepare
    const config = { ...base, VETTID_ENV: env, VETTID_NATS_URL: "tls://a:4222,nats://b:4222" };
    // Act
    const load = () => loadConfig(ProxyConfigSchema, config);
    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      "invalid configuration: VETTID_NATS_URL must be tls:// outside local or dev (plaintext NATS is dev-only): nats://b:4222",
    );
  });

  it("needs the NATS servers' CA outside local and dev, and takes plaintext loopback NATS in local", () => {
    // Prepare
    const { VETTID_NATS_CA_FILE: _ca, ...withoutCa } = base;
    const local = { ...withoutCa, VETTID_ENV: "local", VETTID_NATS_URL: "nats://127.0.0.1:4222" };
    // Act
    const config = loadConfig(ProxyConfigSchema, local);
    // Assess
    expect(() => loadConfig(ProxyConfigSchema, withoutCa)).toThrow(
      "invalid configuration: VETTID_NATS_CA_FILE is required",
    );
    expect(config.VETTID_NATS_URL).toEqual(["nats://127.0.0.1:4222"]);
    expect(config.VETTID_NATS_TLS_FIRST).toBe(false);
  });

  it("reaches IP-addressed tls:// servers TLS first outside local and dev (their certificate names the address)", () => {
    // Prepare
    const byAddress = { ...base, VETTID_NATS_URL: "tls://10.42.48.10:4222,tls://10.42.64.10:4222" };
    // Act
    const tlsFirst = loadConfig(ProxyConfigSchema, { ...byAddress, VETTID_NATS_TLS_FIRST: "true" });
    // Assess
    expect(tlsFirst.VETTID_NATS_TLS_FIRST).toBe(true);
    expect(() => loadConfig(ProxyConfigSchema, byAddress)).toThrow(
      "invalid configuration: VETTID_NATS_URL names servers by IP address: they need VETTID_NATS_TLS_FIRST=true outside local or dev",
    );
  });

  it("refuses a list that mixes tls:// and nats:// servers even in local", () => {
    const mixed = { ...base, VETTID_ENV: "local", VETTID_NATS_URL: "tls://a:4222,nats://b:4222" };
    expect(() => loadConfig(ProxyConfigSchema, mixed)).toThrow(/VETTID_NATS_URL mixes tls:\/\/ and nats:\/\/ URLs/);
  });

  it.each([
    ["VETTID_ATTESTATION_ROOT_FILE", "/tmp/dev-root.pem"],
    ["VETTID_KMS_TUNNEL_TARGET", "127.0.0.1:4566"],
    ["VETTID_S3_ENDPOINT", "http://127.0.0.1:4569"],
    ["VETTID_DYNAMODB_ENDPOINT", "http://127.0.0.1:4567"],
    ["VETTID_PROXY_VAULTS", "*"],
  ])("refuses the dev-only %s in prod, with one line", (name, value) => {
    expect(() => loadConfig(ProxyConfigSchema, { ...base, [name]: value })).toThrow(ConfigError);
    try {
      loadConfig(ProxyConfigSchema, { ...base, [name]: value });
    } catch (err) {
      expect((err as Error).message).toContain(name);
      expect((err as Error).message).not.toContain("\n");
    }
  });

  it("lets prod serve every vault (*) once the enclave takes the vault leases: with its NATS tunnel and sealed key", () => {
    // Prepare
    const leased = {
      ...base,
      VETTID_PROXY_VAULTS: "*",
      VETTID_NATS_TUNNEL_TARGET: "nats-1.vettid.internal:4222",
      VETTID_RUNTIME_NATS_KEY_FILE: "/etc/vettid/runtime-nats-key.bin",
    };
    const { VETTID_RUNTIME_NATS_KEY_FILE: _key, ...withoutKey } = leased;

    // Act
    const config = loadConfig(ProxyConfigSchema, leased);

    // Assess
    expect(config.VETTID_PROXY_VAULTS).toEqual(["*"]);
    expect(() => loadConfig(ProxyConfigSchema, withoutKey)).toThrow(
      /VETTID_PROXY_VAULTS may be \* outside local or dev only with VETTID_NATS_TUNNEL_TARGET and VETTID_RUNTIME_NATS_KEY_FILE/,
    );
  });

  it("needs the host registry (host id and table) outside local and dev, and both or neither in dev", () => {
    const { VETTID_HOST_ID: _id, VETTID_HOST_ARN: _arn, VETTID_TABLE_NAME: _table, ...withoutRegistry } = base;
    expect(() => loadConfig(ProxyConfigSchema, withoutRegistry)).toThrow(
      /VETTID_HOST_ID is required; VETTID_HOST_ARN is required; VETTID_TABLE_NAME is required/,
    );
    expect(() => loadConfig(ProxyConfigSchema, { ...withoutRegistry, VETTID_ENV: "dev" })).not.toThrow();
    expect(() =>
      loadConfig(ProxyConfigSchema, { ...withoutRegistry, VETTID_ENV: "dev", VETTID_HOST_ID: "local-host" }),
    ).toThrow(/VETTID_HOST_ID and VETTID_TABLE_NAME go together/);
    expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_HOST_ID: "I-UPPER/../x" })).toThrow(
      /must be a host id/,
    );
  });

  it("needs the instance's own ARN for an EC2 host, in its region, since the heartbeat partition is that ARN", () => {
    const other = "arn:aws:ec2:eu-central-1:333333333333:instance/i-0fffffffffffffff0";
    expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_HOST_ARN: undefined })).toThrow(/VETTID_HOST_ARN/);
    expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_HOST_ARN: other })).toThrow(
      /must be the ARN of VETTID_HOST_ID/,
    );
    expect(() =>
      loadConfig(ProxyConfigSchema, {
        ...base,
        VETTID_HOST_ARN: "arn:aws:ec2:us-east-1:333333333333:instance/i-0123456789abcdef0",
      }),
    ).toThrow(/must be in AWS_REGION/);
    expect(() =>
      loadConfig(ProxyConfigSchema, { ...base, VETTID_HOST_ARN: "arn:aws:iam::333333333333:role/x" }),
    ).toThrow(/must be an EC2 instance ARN/);
    // dev in AWS is an EC2 host too; the local topology's named host needs no ARN.
    expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_ENV: "dev", VETTID_HOST_ARN: undefined })).toThrow(
      /VETTID_HOST_ARN is required/,
    );
    expect(() =>
      loadConfig(ProxyConfigSchema, {
        ...base,
        VETTID_ENV: "local",
        VETTID_HOST_ID: "local-host",
        VETTID_HOST_ARN: undefined,
      }),
    ).not.toThrow();
  });

  it("allows the dev-only settings in local", () => {
    expect(() =>
      loadConfig(ProxyConfigSchema, {
        ...base,
        VETTID_ENV: "local",
        VETTID_PROXY_VAULTS: "*",
        VETTID_S3_ENDPOINT: "http://127.0.0.1:1",
      }),
    ).not.toThrow();
  });

  it("takes the manifest from exactly one of a file or an https URL", () => {
    const { VETTID_MANIFEST_FILE: _file, ...noManifest } = base;
    expect(() => loadConfig(ProxyConfigSchema, noManifest)).toThrow(/VETTID_MANIFEST_FILE/);
    expect(() =>
      loadConfig(ProxyConfigSchema, {
        ...noManifest,
        VETTID_MANIFEST_URL: "https://cdn.example/.well-known/vettid/pcr-manifest.json",
      }),
    ).not.toThrow();
    expect(() =>
      loadConfig(ProxyConfigSchema, { ...noManifest, VETTID_MANIFEST_URL: "http://cdn.example/m.json" }),
    ).toThrow(/https/);
    expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_MANIFEST_URL: "https://cdn.example/m.json" })).toThrow(
      ConfigError,
    );
  });

  it("names every missing or bad setting", () => {
    expect(() =>
      loadConfig(ProxyConfigSchema, { ...base, VETTID_NATS_URL: "http://x", VETTID_PROXY_VAULTS: "bad id!" }),
    ).toThrow(/VETTID_NATS_URL.*VETTID_PROXY_VAULTS|VETTID_PROXY_VAULTS.*VETTID_NATS_URL/);
  });

  it("tunnels KMS to the regional endpoint only, outside local or dev", () => {
    // Act
    const byDefault = kmsTunnelTarget(loadConfig(ProxyConfigSchema, base));
    const fips = loadConfig(ProxyConfigSchema, {
      ...base,
      VETTID_KMS_TUNNEL_TARGET: "kms-fips.eu-central-1.amazonaws.com:443",
    });
    const local = loadConfig(ProxyConfigSchema, {
      ...base,
      VETTID_ENV: "local",
      VETTID_HOST_ID: undefined,
      VETTID_HOST_ARN: undefined,
      VETTID_TABLE_NAME: undefined,
      VETTID_KMS_TUNNEL_TARGET: "127.0.0.1:4566",
    });

    // Assess
    expect(byDefault).toEqual({ host: "kms.eu-central-1.amazonaws.com", port: 443 });
    expect(kmsTunnelTarget(fips)).toEqual({ host: "kms-fips.eu-central-1.amazonaws.com", port: 443 });
    expect(kmsTunnelTarget(local)).toEqual({ host: "127.0.0.1", port: 4566 });
    for (const target of [
      "kms.us-east-1.amazonaws.com:443",
      "kms.eu-central-1.amazonaws.com:8443",
      "evil.example:443",
    ]) {
      expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_KMS_TUNNEL_TARGET: target })).toThrow(
        /VETTID_KMS_TUNNEL_TARGET/,
      );
    }
    expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_KMS_TUNNEL_TARGET: "no-port" })).toThrow(/host:port/);
  });

  it("tunnels the runtime's NATS connection only where a target is configured, with its own idle time", () => {
    // Act
    const none = natsTunnelTarget(loadConfig(ProxyConfigSchema, base));
    const one = natsTunnelTarget(
      loadConfig(ProxyConfigSchema, { ...base, VETTID_NATS_TUNNEL_TARGET: "nats-1.vettid.internal:4222" }),
    );

    // Assess
    expect(none).toBeUndefined();
    expect(one).toEqual({
      targets: [{ host: "nats-1.vettid.internal", port: 4222 }],
      idleTimeoutMs: NATS_TUNNEL_IDLE_TIMEOUT_MS,
    });
    for (const target of ["nats-1.vettid.internal", "nats://nats-1:4222", ":4222", "host:port"]) {
      expect(() => loadConfig(ProxyConfigSchema, { ...base, VETTID_NATS_TUNNEL_TARGET: target })).toThrow(
        /VETTID_NATS_TUNNEL_TARGET/,
      );
    }
  });

  it("takes the NATS nodes as a comma-separated list, in order", () => {
    // Act
    const three = natsTunnelTarget(
      loadConfig(ProxyConfigSchema, {
        ...base,
        VETTID_NATS_TUNNEL_TARGET: "nats-1.vettid.internal:4222, nats-2.vettid.internal:4222,10.42.64.10:4222",
      }),
    );
    const eight = loadConfig(ProxyConfigSchema, {
      ...base,
      VETTID_NATS_TUNNEL_TARGET: Array.from({ length: 8 }, (_, i) => `nats-${i}:4222`).join(","),
    });

    // Assess
    expect(three).toEqual({
      targets: [
        { host: "nats-1.vettid.internal", port: 4222 },
        { host: "nats-2.vettid.internal", port: 4222 },
        { host: "10.42.64.10", port: 4222 },
      ],
      idleTimeoutMs: NATS_TUNNEL_IDLE_TIMEOUT_MS,
    });
    expect(natsTunnelTarget(eight)?.targets).toHaveLength(8);
  });

  it.each([
    ["nats-1:4222,nats-2:4222,nats-1:4222", "VETTID_NATS_TUNNEL_TARGET names an address twice: nats-1:4222"],
    ["nats-1:4222,NATS-1:4222", "VETTID_NATS_TUNNEL_TARGET names an address twice: NATS-1:4222"],
    [
      "nats-1:4222,nats://nats-2:4222,nats-3",
      "VETTID_NATS_TUNNEL_TARGET must be host:port, comma-separated: nats://nats-2:4222, nats-3",
    ],
    [
      "nats-1:4222;nats-2:4222",
      "VETTID_NATS_TUNNEL_TARGET must be host:port, comma-separated: nats-1:4222;nats-2:4222",
    ],
    [
      Array.from({ length: 9 }, (_, i) => `nats-${i}:4222`).join(","),
      "VETTID_NATS_TUNNEL_TARGET names 9 addresses, at most 8",
    ],
    [" , ", "VETTID_NATS_TUNNEL_TARGET must name at least one host:port"],
  ])("refuses the NATS node list %j, with one line", (targets, message) => {
    // Act
    const load = () => loadConfig(ProxyConfigSchema, { ...base, VETTID_NATS_TUNNEL_TARGET: targets });

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`invalid configuration: ${message}`);
  });

  it("lets prod serve every vault (*) with a list of NATS nodes as with one", () => {
    const config = loadConfig(ProxyConfigSchema, {
      ...base,
      VETTID_PROXY_VAULTS: "*",
      VETTID_NATS_TUNNEL_TARGET: "nats-1.vettid.internal:4222,nats-2.vettid.internal:4222,nats-3.vettid.internal:4222",
      VETTID_RUNTIME_NATS_KEY_FILE: "/etc/vettid/runtime-nats-key.bin",
    });
    expect(config.VETTID_PROXY_VAULTS).toEqual(["*"]);
  });
});

import { z } from "zod";
import { assertDevOnly, ConfigError, loadConfig, settings } from "../../../lib/config";

const schema = z.object({
  VETTID_ENV: settings.environment,
  VETTID_PORT: settings.port,
  VETTID_NATS_URL: z.string().url(),
});

describe("loadConfig", () => {
  it("returns typed, coerced settings", () => {
    const config = loadConfig(schema, {
      VETTID_ENV: "local",
      VETTID_PORT: "8080",
      VETTID_NATS_URL: "nats://127.0.0.1:4222",
    });

    expect(config).toEqual({ VETTID_ENV: "local", VETTID_PORT: 8080, VETTID_NATS_URL: "nats://127.0.0.1:4222" });
  });

  it("says a missing enum or coerced setting is required, not invalid", () => {
    expect(() => loadConfig(schema, { VETTID_NATS_URL: "nats://127.0.0.1:4222" })).toThrow(
      "invalid configuration: VETTID_ENV is required; VETTID_PORT is required",
    );
  });

  it("reports every missing or wrong setting in one line", () => {
    let error: unknown;
    try {
      loadConfig(schema, { VETTID_ENV: "production", VETTID_PORT: "99999" });
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain("\n");
    expect(message).toContain("VETTID_ENV");
    expect(message).toContain("VETTID_PORT");
    expect(message).toContain("VETTID_NATS_URL is required");
    expect((error as ConfigError).code).toBe("CONFIG_INVALID");
  });
});

describe("assertDevOnly", () => {
  it("allows local and dev, refuses staging, prod and unset", () => {
    expect(() => assertDevOnly("kms stand-in", "local")).not.toThrow();
    expect(() => assertDevOnly("kms stand-in", "dev")).not.toThrow();
    expect(() => assertDevOnly("kms stand-in", "prod")).toThrow(/dev-only/);
    expect(() => assertDevOnly("kms stand-in", "staging")).toThrow(ConfigError);
    expect(() => assertDevOnly("kms stand-in", undefined)).toThrow(/unset/);
  });
});

// Tests run on Node 20.19+; the AWS SDK's notice that its 2027 releases need Node 22
// is known (README, Toolchain) and would only clutter test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/**
 * Jest with @swc/jest (TypeScript → CommonJS). ESM-only dependencies (jose, @middy/*)
 * are transformed too, so they load under jest's CommonJS module system.
 * @type {import('jest').Config}
 */
const esmOnly = [
  "jose",
  "@middy",
  "@nats-io",
  "p-limit",
  "yocto-queue",
  "pkijs",
  "asn1js",
  "bytestreamjs",
  "@noble",
  "@peculiar",
];

module.exports = {
  testEnvironment: "node",
  roots: [
    "<rootDir>/tests",
    "<rootDir>/lib",
    "<rootDir>/functions",
    "<rootDir>/vsock-proxy",
    "<rootDir>/vault-enclave",
    "<rootDir>/client",
    "<rootDir>/local",
    "<rootDir>/stacks",
    "<rootDir>/ami",
  ],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.(t|j|mj)s$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2022" },
        module: { type: "commonjs" },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join("|")})/)`],
  moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
  testTimeout: 60_000,
  modulePathIgnorePatterns: ["<rootDir>/cdktf.out", "<rootDir>/dist", "<rootDir>/.vettid"],
};

// Tests run on Node 22, the project's own (node_modules/.bin/node from the `node` dev
// dependency, first on PATH under `npm test`), never on an older Node found first on PATH.
if (Number(process.versions.node.split(".")[0]) < 22) {
  throw new Error(
    `the tests need Node 22 or newer, not ${process.version} (${process.execPath}): run them with \`npm test\` (or \`npx jest\`), which use node_modules/.bin/node`,
  );
}

// Powertools metrics print EMF to stdout at the end of every handler call; only
// tests/unit/edge/observability.test.ts reads them (it enables them itself).
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";

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
  // asn1js's @peculiar/utils (ESM only)
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

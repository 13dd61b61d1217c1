import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The REST edge reaches AWS through the SDK v3 clients only (docs/decisions/0059):
 * the home-made JSON-protocol client (`lib/aws-json`, 0047) is gone and nothing of the
 * edge imports it, and every SDK client of the edge is built by
 * `functions/shared/aws-clients.ts`, so all carry the same retry and timeout settings.
 * That the bundles carry the SDK clients is checked by tests/unit/edge/bundles.test.ts.
 */
const ROOT = resolve(__dirname, "..", "..", "..");
const EDGE = ["functions", "lib"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name.startsWith(".")) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js)$/.test(name) ? [path] : [];
  });
}

const IMPORT = /(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|(?:require|import)\(\s*["']([^"']+)["']\s*\)/g;

describe("the edge's way to AWS", () => {
  const files = EDGE.flatMap((top) => sourceFiles(join(ROOT, top)));

  it("has no lib/aws-json, and no edge source imports it", () => {
    expect(existsSync(join(ROOT, "lib", "aws-json"))).toBe(false);
    const importers = files.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(IMPORT)]
        .map((m) => m[1] ?? m[2] ?? "")
        .filter(
          (spec) => spec.startsWith(".") && /(^|\/)aws-json(\/|$)/.test(relative(ROOT, resolve(dirname(file), spec))),
        )
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
    );
    expect(importers).toEqual([]);
  });

  it("builds every SDK client of the edge in functions/shared/aws-clients.ts", () => {
    const builders = files
      .filter((file) =>
        /new (DynamoDBClient|SecretsManagerClient)\(|DynamoDBDocumentClient\.from\(/.test(readFileSync(file, "utf8")),
      )
      .map((file) => relative(ROOT, file));
    expect(builders).toEqual(["functions/shared/aws-clients.ts"]);
  });

  it("finds the imports it checks (the scanner is not blind)", () => {
    const clients = files.filter((file) =>
      [...readFileSync(file, "utf8").matchAll(IMPORT)].some((m) => (m[1] ?? m[2]) === "./aws-clients"),
    );
    expect(clients.length).toBeGreaterThan(1);
  });
});

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as z from "../../../lib/zod";

/** The folders whose code ends up in Lambda, proxy, enclave or CLI bundles. */
const BUNDLED = ["lib", "functions", "vault-enclave", "vsock-proxy", "client"];
const ROOT = resolve(__dirname, "..", "..", "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name.startsWith(".")) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Value imports of zod (type-only imports add nothing to a bundle). */
const VALUE_IMPORT = /^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+["'](zod(?:\/[^"']*)?)["']/gm;

describe("lib/zod", () => {
  it("reports issues in English (zod/mini alone says only 'Invalid input')", () => {
    // Act
    const result = z.safeParse(z.strictObject({ a: z.string().check(z.maxLength(2)) }), { a: "abc", b: 1 });
    // Assess
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      "Too big: expected string to have <=2 characters",
      'Unrecognized key: "b"',
    ]);
  });

  it("is the only module of bundled code that imports zod values", () => {
    // Prepare
    const allowed = join("lib", "zod", "index.ts");
    // Act
    const found = BUNDLED.flatMap((top) => sourceFiles(join(ROOT, top)))
      .filter((file) => relative(ROOT, file) !== allowed)
      .flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(VALUE_IMPORT)].map((m) => `${relative(ROOT, file)}: ${m[1]}`),
      );
    // Assess: classic zod would add ~60 KB to each bundle; bare zod/mini has no English messages
    expect(found).toEqual([]);
  });
});

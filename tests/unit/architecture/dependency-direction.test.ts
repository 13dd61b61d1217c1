import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/**
 * DESIGN.md §2: lib/ depends on nothing of ours; functions/, vault-enclave/,
 * vsock-proxy/ and client/ depend on lib/ only; stacks/ and ami/ on nothing of ours
 * (ami/ may read the manifest format from lib/); only local/, tests/ and bench/ may
 * import local/ or tests/. This keeps emulators and the simulated NSM out of
 * production bundles.
 */
const ROOT = resolve(__dirname, "..", "..", "..");
const TOP_LEVEL = [
  "lib",
  "functions",
  "vault-enclave",
  "vsock-proxy",
  "client",
  "local",
  "stacks",
  "ami",
  "tests",
  "bench",
];
const ALLOWED: Record<string, string[]> = {
  lib: ["lib"],
  functions: ["functions", "lib"],
  "vault-enclave": ["vault-enclave", "lib"],
  "vsock-proxy": ["vsock-proxy", "lib"],
  client: ["client", "lib"],
  stacks: ["stacks"],
  ami: ["ami", "lib"],
  local: TOP_LEVEL.filter((t) => t !== "tests" && t !== "bench"),
  tests: TOP_LEVEL,
  bench: TOP_LEVEL,
};

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === "node_modules" || name === "__snapshots__" || name.startsWith(".")) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js)$/.test(name) ? [path] : [];
  });
}

const IMPORT = /(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|(?:require|import)\(\s*["']([^"']+)["']\s*\)/g;

function violations(): string[] {
  const found: string[] = [];
  for (const top of TOP_LEVEL) {
    for (const file of sourceFiles(join(ROOT, top))) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(IMPORT)) {
        const spec = match[1] ?? match[2];
        if (!spec?.startsWith(".")) continue;
        const target = relative(ROOT, resolve(dirname(file), spec)).split(sep)[0] ?? "";
        if (TOP_LEVEL.includes(target) && !ALLOWED[top]?.includes(target)) {
          found.push(`${relative(ROOT, file)} imports ${spec} (${top}/ may not depend on ${target}/)`);
        }
      }
    }
  }
  return found;
}

describe("dependency direction (DESIGN.md §2)", () => {
  it("has no import that crosses a forbidden boundary", () => {
    expect(violations()).toEqual([]);
  });

  it("finds the imports it checks (the scanner is not blind)", () => {
    const libFiles = sourceFiles(join(ROOT, "lib"));
    const imports = libFiles.flatMap((f) => [...readFileSync(f, "utf8").matchAll(IMPORT)]);
    expect(imports.length).toBeGreaterThan(10);
  });
});

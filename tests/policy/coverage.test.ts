/** Every rule has its own test file with a compliant and a non-compliant example. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RULES } from "./rules";

describe("policy rule coverage", () => {
  it.each(RULES.map((r) => [r.id]))("%s has a test file with a passing and a failing case", (id) => {
    const file = join(__dirname, "rules", `${id}.test.ts`);
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/it(\.each\([^)]*\))?\("passes/);
    expect(text).toMatch(/it(\.each\([^)]*\))?\("fails/);
  });
});

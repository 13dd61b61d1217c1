import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * docs/security-invariants.md maps each trust invariant of DESIGN.md §3 to the tests
 * that prove it. This keeps the map honest: every test file it names must exist, and
 * every test title it lists on a test-list line must still be in that file, so a
 * renamed or deleted test cannot leave the map silently pointing at nothing.
 */
const ROOT = resolve(__dirname, "..", "..", "..");
const DOC = join(ROOT, "docs", "security-invariants.md");
const INVARIANTS = 9;

/** Any test file path mentioned anywhere in the text. */
const TEST_PATH = /tests\/[\w./-]+\.test\.ts/g;
/** A test-list line: "- `tests/….test.ts`: `title`; `title` …" (titles as code spans). */
const LIST_LINE = /^- `(tests\/[\w./-]+\.test\.ts)`:(.*)$/;
const TITLE = /`([^`]+)`/g;

interface TitleRef {
  file: string;
  title: string;
}

function parse(text: string): { paths: string[]; titles: TitleRef[]; sections: number[] } {
  const paths = [...new Set([...text.matchAll(TEST_PATH)].map((m) => m[0]))];
  const titles: TitleRef[] = [];
  for (const line of text.split("\n")) {
    const match = LIST_LINE.exec(line);
    if (!match) continue;
    const file = match[1] as string;
    for (const span of (match[2] ?? "").matchAll(TITLE)) titles.push({ file, title: span[1] as string });
  }
  const sections = [...text.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1]));
  return { paths, titles, sections };
}

describe("docs/security-invariants.md", () => {
  const text = readFileSync(DOC, "utf8");
  const { paths, titles, sections } = parse(text);

  it("has one section per invariant of DESIGN.md §3, in order, each with a status and a run line", () => {
    // Assess
    expect(sections).toEqual(Array.from({ length: INVARIANTS }, (_, i) => i + 1));
    const bodies = text.split(/^## \d+\. /m).slice(1);
    for (const body of bodies) {
      expect(body).toMatch(/\*\*Status: (enforced and tested|partly|not yet)\b/);
      expect(body).toMatch(/\*\*Run:\*\* (`npx jest [^`]+`|nothing to run yet)/);
    }
  });

  it("names only test files that exist", () => {
    // Assess
    const missing = paths.filter((p) => !existsSync(join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it("lists only test titles that are still in the file it names", () => {
    // Assess
    const gone = titles.filter(({ file, title }) => {
      const path = join(ROOT, file);
      return !existsSync(path) || !readFileSync(path, "utf8").includes(title);
    });
    expect(gone).toEqual([]);
  });

  it("finds the references it checks (the parser is not blind)", () => {
    // Assess: the map names many files and titles; a broken pattern would find none
    expect(paths.length).toBeGreaterThanOrEqual(30);
    expect(titles.length).toBeGreaterThanOrEqual(80);
    expect(paths).toContain("tests/integration/proxy/canary.test.ts");
    expect(titles).toContainEqual({
      file: "tests/integration/proxy/canary.test.ts",
      title: "holds no plaintext canary, data key or session key",
    });
  });
});

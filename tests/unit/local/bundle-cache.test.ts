/**
 * The local launcher's bundle cache runs a cached bundle only while every input is
 * unchanged: a changed file, a file added beside an input or a touched but equal file
 * are told apart, and a source changed moments before a build is never cached.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cachedBundle } from "../../../local/launcher/bundle-cache";

describe("the bundle cache of the local launcher", () => {
  let root: string;
  const fresh = { racyWindowNs: 0n };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "vettid-bundle-cache-"));
    mkdirSync(join(root, "src", "dep"), { recursive: true });
    writeFileSync(join(root, "src", "main.ts"), 'import { word } from "./dep";\nconsole.log(word);\n');
    writeFileSync(join(root, "src", "dep", "index.ts"), 'export const word: string = "one";\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const text = (path: string) => readFileSync(path, "utf8");

  it("builds once, then hands back the same bundle while nothing changed", async () => {
    // Act
    const first = await cachedBundle(root, "src/main.ts", fresh);
    const second = await cachedBundle(root, "src/main.ts", fresh);
    // Assess
    expect(first.built).toBe(true);
    expect(second).toEqual({ path: first.path, built: false });
    expect(text(second.path)).toContain('"one"');
  });

  it("rebuilds after an input's contents changed, even with its old timestamps", async () => {
    // Prepare
    await cachedBundle(root, "src/main.ts", fresh);
    const dep = join(root, "src", "dep", "index.ts");
    writeFileSync(dep, 'export const word: string = "two";\n');
    utimesSync(dep, new Date(2000, 0, 1), new Date(2000, 0, 1));
    // Act
    const again = await cachedBundle(root, "src/main.ts", fresh);
    // Assess
    expect(again.built).toBe(true);
    expect(text(again.path)).toContain('"two"');
  });

  it("rebuilds when a file added beside an input shadows it (dep.ts before dep/index.ts)", async () => {
    // Prepare
    await cachedBundle(root, "src/main.ts", fresh);
    writeFileSync(join(root, "src", "dep.ts"), 'export const word: string = "shadow";\n');
    // Act
    const again = await cachedBundle(root, "src/main.ts", fresh);
    // Assess
    expect(again.built).toBe(true);
    expect(text(again.path)).toContain('"shadow"');
  });

  it("keeps the bundle when an input was only touched", async () => {
    // Prepare
    const first = await cachedBundle(root, "src/main.ts", fresh);
    const main = join(root, "src", "main.ts");
    writeFileSync(main, text(main));
    // Act
    const again = await cachedBundle(root, "src/main.ts", fresh);
    // Assess
    expect(again).toEqual({ path: first.path, built: false });
  });

  it("does not cache a build whose sources changed within the racy window", async () => {
    // Act: the sources were written just now, inside the default two-second window
    const first = await cachedBundle(root, "src/main.ts");
    const second = await cachedBundle(root, "src/main.ts");
    // Assess
    expect(first.built).toBe(true);
    expect(second.built).toBe(true);
  });
});

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, inflateRawSync } from "node:zlib";
import { zipDirectory } from "../../../stacks/shared/deterministic-zip";

/** Reads a ZIP through its central directory (what unzip and Lambda do). */
function readZip(zip: Buffer): Record<string, Buffer> {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const crc = zip.readUInt32LE(p + 16);
    const size = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString("utf8");
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = inflateRawSync(zip.subarray(dataStart, dataStart + size));
    expect(crc32(data)).toBe(crc);
    out[name] = data;
    p += 46 + nameLength;
  }
  return out;
}

describe("deterministic zip of a bundle folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-zip-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("holds every file by relative path and round-trips the contents", () => {
    // Prepare
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "index.js"), "exports.handler = async () => 1;\n");
    writeFileSync(join(dir, "lib", "util.js"), "x".repeat(10_000));
    // Act
    const files = readZip(zipDirectory(dir));
    // Assess
    expect(Object.keys(files)).toEqual(["index.js", "lib/util.js"]);
    expect(files["lib/util.js"]?.toString()).toBe("x".repeat(10_000));
  });

  it("gives the same bytes whatever the files' timestamps", () => {
    const first = zipDirectory(dir);
    utimesSync(join(dir, "index.js"), new Date("2030-01-01"), new Date("2030-01-01"));
    expect(zipDirectory(dir).equals(first)).toBe(true);
  });
});

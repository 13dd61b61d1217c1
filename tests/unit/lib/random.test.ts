import { randomBytes } from "../../../lib/crypto";

describe("randomBytes", () => {
  it("returns a fresh Uint8Array of the asked length", () => {
    for (const length of [0, 1, 24, 32, 65_536]) {
      const bytes = randomBytes(length);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(bytes)).toBe(false);
      expect(bytes.length).toBe(length);
    }
  });

  it("never repeats a 24-byte nonce over many calls", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(Buffer.from(randomBytes(24)).toString("hex"));
    expect(seen.size).toBe(10_000);
  });

  it("spreads its bytes over every value", () => {
    const counts = new Array<number>(256).fill(0);
    for (const byte of randomBytes(65_536)) counts[byte] = (counts[byte] ?? 0) + 1;
    // 256 expected per value; a stuck or biased source falls far outside this.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(370);
  });

  it.each([-1, 1.5, Number.NaN, 65_537])("refuses length %p", (length) => {
    expect(() => randomBytes(length)).toThrow(RangeError);
  });
});

import { isIPv6 } from "node:net";
import fc from "fast-check";
import { sourceKey } from "../../../lib/edge";

describe("per-source rate limit keys", () => {
  test.each([
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::ffff:c000:201", "192.0.2.1"],
    ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["2001:DB8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["2001:db8:1:2:3:4:198.51.100.7", "2001:db8:1:2::/64"],
    ["unknown", "unknown"],
    ["", "unknown"],
    ["999.1.1.1", "unknown"],
  ])("%s counts as %s", (address, expected) => {
    expect(sourceKey(address)).toBe(expected);
  });

  const hextet = fc.integer({ min: 0, max: 0xffff });
  const groups = fc.array(hextet, { minLength: 8, maxLength: 8 });
  const full = (g: number[]) => g.map((h) => h.toString(16)).join(":");
  /** The same address with its longest run of zero groups written as `::`. */
  const compressed = (g: number[]) => {
    let best = [-1, 0];
    for (let i = 0; i < 8; i += 1) {
      let j = i;
      while (j < 8 && g[j] === 0) j += 1;
      if (j - i > (best[1] as number)) best = [i, j - i];
    }
    const [start, length] = best as [number, number];
    if (length < 2) return full(g);
    return `${full(g.slice(0, start))}::${full(g.slice(start + length))}`;
  };

  test("every address of one /64 counts as one source, however it is written", () => {
    fc.assert(
      fc.property(groups, fc.array(hextet, { minLength: 4, maxLength: 4 }), (a, suffix) => {
        fc.pre(!(a.slice(0, 5).every((g) => g === 0) && a[5] === 0xffff));
        fc.pre(!(a.slice(0, 4).every((g) => g === 0) && suffix[0] === 0 && suffix[1] === 0xffff));
        const b = [...a.slice(0, 4), ...suffix];
        expect(isIPv6(compressed(a))).toBe(true);
        expect(sourceKey(full(a))).toBe(sourceKey(compressed(b)));
        expect(sourceKey(full(a).toUpperCase())).toBe(sourceKey(full(a)));
      }),
      { numRuns: 2_000 },
    );
  });

  test("addresses in different /64 networks count as different sources", () => {
    fc.assert(
      fc.property(groups, groups, (a, b) => {
        fc.pre(full(a.slice(0, 4)) !== full(b.slice(0, 4)));
        fc.pre(!(a.slice(0, 5).every((g) => g === 0) || b.slice(0, 5).every((g) => g === 0)));
        expect(sourceKey(compressed(a))).not.toBe(sourceKey(compressed(b)));
      }),
      { numRuns: 2_000 },
    );
  });

  test("arbitrary strings never throw and never become an address they are not", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const key = sourceKey(s);
        expect(typeof key).toBe("string");
        if (key !== "unknown") expect(isIPv6(s) || key === s).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

import {
  CBOR_REJECTIONS,
  CborError,
  type CborRejection,
  createStrictCborCheck,
  isCborError,
  type StrictCborOptions,
} from "../../../lib/cbor";
import { isVettidError } from "../../../lib/errors";

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));

/** The reason and offset the check refuses `h` with, or "accepted". */
function verdict(h: string | Uint8Array, options: StrictCborOptions = {}): string {
  const check = createStrictCborCheck(options);
  try {
    check(typeof h === "string" ? hex(h) : h);
  } catch (err) {
    if (!isCborError(err)) throw err;
    return `${err.reason}@${err.offset}`;
  }
  return "accepted";
}

function reasonOf(h: string | Uint8Array, options: StrictCborOptions = {}): CborRejection | "accepted" {
  return verdict(h, options).split("@")[0] as CborRejection | "accepted";
}

describe("strict CBOR pre-pass (lib/cbor)", () => {
  describe("accepts well-formed CBOR within the rules and counts it", () => {
    it.each([
      [
        "unsigned and negative integers of every head size",
        "88 00 17 18ff 19ffff 1affffffff 1bffffffffffffffff 20 3bffffffffffffffff",
        9,
        1,
      ],
      [
        "false, true, null and half, single and double floats",
        "86 f4 f5 f6 f93c00 fa3f800000 fb3ff0000000000000",
        7,
        1,
      ],
      ["byte and text strings", "83 40 4401020304 63e282ac", 4, 1],
      ["a map with text keys, nested", "a2 6161 a1 6162 01 6163 80", 7, 2],
      ["non-minimal heads", "b80 1 7800 9900 02 18 01 1a00000002", 5, 2],
      ["an empty array at depth 3", "81 81 80", 3, 3],
    ])("%s", (_name, h, items, depth) => {
      const check = createStrictCborCheck();
      expect(check(hex(h))).toEqual({ items, depth });
    });

    it("counts every item, map keys included, and never more items than bytes", () => {
      const bytes = hex("a3 6161 00 6162 82 01 02 6163 a0");
      const summary = createStrictCborCheck()(bytes);
      expect(summary.items).toBe(9);
      expect(summary.items).toBeLessThanOrEqual(bytes.length);
    });

    it("keeps keys of different maps apart, and keys of different types apart", () => {
      expect(verdict("82 a1 6161 01 a1 6161 02")).toBe("accepted"); // two maps, each with "a"
      expect(verdict("a1 6161 a1 6161 01")).toBe("accepted"); // {"a": {"a": 1}}
      expect(verdict("a3 01 00 21 00 6131 00", { mapKeys: ["int", "text"] })).toBe("accepted"); // 1, -2, "1"
      expect(verdict("a2 00 00 20 00", { mapKeys: ["int"] })).toBe("accepted"); // 0 and -1
    });
  });

  describe("refuses", () => {
    it.each([
      ["empty input", "", "truncated@0"],
      ["a head whose argument is cut off", "19 01", "truncated@2"],
      ["an array whose last item is cut off", "82 00 19 01", "truncated@4"],
      ["a map missing a value", "a1 6161", "truncated@3"],
    ])("truncation: %s", (_name, h, expected) => {
      expect(verdict(h)).toBe(expected);
    });

    it.each([
      ["a 4 GiB byte string in 6 bytes", "5a ffffffff 00"],
      ["a 2^64-1 byte text string", "7b ffffffffffffffff 61"],
      ["an array of 2^32 items in 9 bytes", "9b 00000000ffffffff 01"],
      ["a map of 2 pairs in 2 bytes", "a2 01 02"],
    ])("a declared length the rest cannot hold, before allocating: %s", (_name, h) => {
      expect(verdict(h)).toBe("length_exceeds_input@0");
    });

    it("trailing bytes after the one item", () => {
      expect(verdict("01 02")).toBe("trailing_bytes@1");
      expect(verdict("80 00")).toBe("trailing_bytes@1");
    });

    it.each(["1c", "3d", "5e", "7c", "9d", "be", "dc", "fc", "fd", "fe", "1f", "3f", "df"])(
      "reserved or meaningless additional information: %s",
      (h) => {
        expect(verdict(h)).toBe("invalid_head@0");
      },
    );

    it.each([
      ["byte string", "5f 4100 ff"],
      ["text string", "7f 6161 ff"],
      ["array", "9f 01 ff"],
      ["map", "bf 6161 01 ff"],
    ])("an indefinite-length %s", (_name, h) => {
      expect(verdict(h)).toBe("indefinite_length@0");
      expect(verdict(`81 ${h}`)).toBe("indefinite_length@1");
    });

    it("a break byte outside an indefinite-length container", () => {
      expect(verdict("ff")).toBe("unexpected_break@0");
      expect(verdict("82 01 ff")).toBe("unexpected_break@2");
    });

    it.each([
      ["tag 0 (date string)", "c0 60"],
      ["tag 2 (bignum)", "c2 41 01"],
      ["tag 27 (RegExp)", "d81b 82 66526567457870 63286129"],
      ["tag 28 (shareable)", "d81c 80"],
      ["tag 29 (shared reference)", "d81d 00"],
      ["tag 259 (Map)", "d90103 a0"],
    ])("%s when no tag is allowed", (_name, h) => {
      expect(verdict(h)).toBe("tag_not_allowed@0");
    });

    it("an allowed tag anywhere but on the outermost item, and any other tag", () => {
      const cose = { outermostTags: [18] };
      expect(verdict("d2 80", cose)).toBe("accepted");
      expect(verdict("d812 80", cose)).toBe("accepted"); // same tag, longer head
      expect(verdict("81 d2 80", cose)).toBe("tag_not_allowed@1");
      expect(verdict("d2 d2 80", cose)).toBe("tag_not_allowed@1");
      expect(verdict("d3 80", cose)).toBe("tag_not_allowed@0");
      expect(verdict("db 0000000100000012 80", cose)).toBe("tag_not_allowed@0"); // 2^32 + 18
      expect(verdict("d2", cose)).toBe("truncated@1");
    });

    it.each([
      ["undefined", "f7"],
      ["simple 0", "e0"],
      ["simple 19", "f3"],
      ["a two-byte simple value", "f8 20"],
    ])("the simple value %s", (_name, h) => {
      expect(verdict(h)).toBe("simple_not_allowed@0");
    });

    it.each([
      ["a lone continuation byte", "61 80"],
      ["an overlong NUL", "62 c080"],
      ["an overlong three-byte form", "63 e08080"],
      ["a UTF-16 surrogate", "63 eda080"],
      ["a code point above U+10FFFF", "64 f4908080"],
      ["a cut-off sequence", "61 c3"],
      ["a byte that never appears in UTF-8", "61 ff"],
    ])("text that is not UTF-8: %s", (_name, h) => {
      expect(verdict(h)).toBe("invalid_utf8@0");
    });

    it("invalid UTF-8 in a long text string too (checked natively)", () => {
      const text = Buffer.alloc(200, 0x61);
      text[150] = 0xc0;
      const bytes = Uint8Array.from([0x78, 200, ...text]);
      expect(verdict(bytes)).toBe("invalid_utf8@0");
      text[150] = 0x61;
      expect(verdict(Uint8Array.from([0x78, 200, ...text]))).toBe("accepted");
      expect(verdict(Uint8Array.from([0x78, 4 * 20, ...Buffer.from("😀".repeat(20))]))).toBe("accepted");
    });

    it("map keys of a type the caller did not allow", () => {
      expect(verdict("a1 01 00")).toBe("key_type_not_allowed@1"); // integer, text only by default
      expect(verdict("a1 6161 00", { mapKeys: ["int"] })).toBe("key_type_not_allowed@1");
      for (const key of ["41 00", "80", "a0", "f4", "f6", "fb3ff0000000000000", "c0 60"]) {
        expect(reasonOf(`a1 ${key} 00`, { mapKeys: ["int", "text"], outermostTags: [0] })).toBe("key_type_not_allowed");
      }
    });

    it.each([
      ["text keys", "a2 6161 01 6161 02", {}],
      ["a text key behind a one-byte length", "a2 6161 01 7801 61 02", {}],
      ["a text key behind an eight-byte length", "a2 7b0000000000000001 61 01 6161 02", {}],
      ["integer keys of different head sizes", "a2 01 00 1b0000000000000001 00", { mapKeys: ["int"] as const }],
      ["negative integer keys", "a2 20 00 3800 00", { mapKeys: ["int"] as const }],
      ["keys of a nested map", "a1 6178 a3 6162 01 6163 02 6162 03", {}],
    ])("a duplicate key: %s", (_name, h, options) => {
      expect(reasonOf(h, options)).toBe("duplicate_key");
    });

    it("a duplicate key in a map too large to compare pairwise, text or integer", () => {
      const text = (s: string) => Buffer.concat([Buffer.from([0x60 | s.length]), Buffer.from(s)]);
      const keys = Array.from({ length: 100 }, (_, i) => text(`k${i}`));
      const map = (entries: Buffer[]) =>
        Buffer.concat([
          Buffer.from([0xb8, entries.length]),
          ...entries.map((k) => Buffer.concat([k, Buffer.of(0xf6)])),
        ]);
      expect(verdict(map(keys))).toBe("accepted");
      expect(reasonOf(map([...keys, text("k3")]))).toBe("duplicate_key");
      expect(reasonOf(map([...keys, text("k99")]))).toBe("duplicate_key");

      const ints = Array.from({ length: 100 }, (_, i) => Buffer.from(i < 24 ? [i] : [0x18, i]));
      expect(verdict(map(ints), { mapKeys: ["int"] })).toBe("accepted");
      expect(reasonOf(map([...ints, Buffer.from([0x19, 0x00, 50])]), { mapKeys: ["int"] })).toBe("duplicate_key");
    });

    it("nesting deeper than the limit, counting arrays, maps and tags", () => {
      const nested = (levels: number) => `${"81".repeat(levels - 1)}80`;
      expect(verdict(nested(32))).toBe("accepted");
      expect(verdict(nested(33))).toBe("too_deep@32");
      expect(verdict(nested(4), { maxDepth: 3 })).toBe("too_deep@3");
      expect(verdict("d2 81 80", { maxDepth: 2, outermostTags: [18] })).toBe("too_deep@2");
      expect(verdict(`${"81".repeat(200_000)}00`)).toBe("too_deep@32");
    });

    it("more items than the budget, map keys and tags included", () => {
      expect(verdict("83 01 02 03", { maxItems: 4 })).toBe("accepted");
      expect(verdict("83 01 02 03", { maxItems: 3 })).toBe("too_many_items@3");
      expect(verdict("a1 6161 01", { maxItems: 2 })).toBe("too_many_items@3");
      expect(verdict("d2 80", { maxItems: 1, outermostTags: [18] })).toBe("too_many_items@1");
    });
  });

  describe("indefinite-length containers, when a caller allows them", () => {
    const options = { indefiniteContainers: true, mapKeys: ["text", "int"] } as const;

    it("accepts indefinite arrays and maps, nested or empty, and counts their items", () => {
      const check = createStrictCborCheck(options);
      expect(check(hex("bf 6161 9f 01 02 ff 6162 bf ff ff"))).toEqual({ items: 7, depth: 2 });
      expect(check(hex("9f ff"))).toEqual({ items: 1, depth: 1 });
      expect(check(hex("82 9f ff 9f 9f ff ff"))).toEqual({ items: 4, depth: 3 });
    });

    it("still refuses duplicate keys, breaks in place of a value, missing breaks and indefinite strings", () => {
      expect(verdict("bf 6161 01 6161 02 ff", options)).toBe("duplicate_key@4");
      expect(verdict("bf 6161 ff", options)).toBe("unexpected_break@3");
      expect(verdict("bf 6161 01", options)).toBe("truncated@4");
      expect(verdict("82 9f ff ff", options)).toBe("unexpected_break@3"); // the array(2) is definite
      expect(verdict("d2 ff", { ...options, outermostTags: [18] })).toBe("unexpected_break@1");
      expect(verdict("9f 7f 6161 ff ff", options)).toBe("indefinite_length@1");
      expect(verdict("9f 01 ff 00", options)).toBe("trailing_bytes@3");
    });
  });

  describe("errors and options", () => {
    it("raises a CborError with a stable reason and offset, in the VettidError family", () => {
      let caught: unknown;
      try {
        createStrictCborCheck()(hex("82 01 d81c 80"));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CborError);
      expect(isVettidError(caught, "BAD_REQUEST")).toBe(true);
      expect(caught).toMatchObject({
        name: "CborError",
        reason: CBOR_REJECTIONS.tagNotAllowed,
        offset: 2,
        details: { reason: "tag_not_allowed", offset: 2 },
      });
      expect(isCborError(caught, "tag_not_allowed")).toBe(true);
      expect(isCborError(caught, "duplicate_key")).toBe(false);
      expect(isCborError(new Error("x"))).toBe(false);
    });

    it.each([
      [{ maxDepht: 3 } as unknown as StrictCborOptions],
      [{ maxDepth: 0 }],
      [{ maxDepth: 100_000 }],
      [{ maxItems: 0 }],
      [{ maxItems: 1.5 }],
      [{ outermostTags: [-1] }],
      [{ outermostTags: [2 ** 32] }],
      [{ mapKeys: ["bytes"] } as unknown as StrictCborOptions],
      [{ indefiniteContainers: "yes" } as unknown as StrictCborOptions],
    ])("refuses the options %j", (options) => {
      expect(() => createStrictCborCheck(options)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    });

    it("starts each check afresh after one that failed midway", () => {
      // Prepare: one check, first fed a large map that fails deep inside, then valid inputs
      const check = createStrictCborCheck({ mapKeys: ["int", "text"] });
      const keys = Array.from({ length: 40 }, (_, i) => [0x18, 24 + i, 0xf6]).flat();
      const failing = Uint8Array.from([0x81, 0xb8, 41, ...keys, 0x18, 30, 0xf6]);

      // Act and assess
      expect(() => check(failing)).toThrow(expect.objectContaining({ reason: "duplicate_key" }));
      expect(check(Uint8Array.from([0x81, 0xb8, 40, ...keys]))).toEqual({ items: 82, depth: 2 });
      expect(check(hex("82 a1 1818 f6 a1 1818 f6"))).toEqual({ items: 7, depth: 2 });
    });
  });
});

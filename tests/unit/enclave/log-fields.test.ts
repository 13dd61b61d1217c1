import fc from "fast-check";
import { ALLOWED_LOG_FIELDS, allowListedFields } from "../../../vault-enclave/runtime/log-fields";

describe("the runtime's log fields", () => {
  it("keeps only allow-listed keys with short primitive values", () => {
    // Act
    const kept = allowListedFields({ code: "PIN_INCORRECT", name: "bank", vault: "vlt_1", value: "hunter2", count: 3 });

    // Assess
    expect(kept).toEqual({ code: "PIN_INCORRECT", count: 3 });
  });

  it("never lets a key outside the list through, whatever the input", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string(), fc.double(), fc.boolean())),
        (fields) => {
          const kept = allowListedFields(fields);
          return Object.entries(kept).every(
            ([key, value]) =>
              (ALLOWED_LOG_FIELDS as readonly string[]).includes(key) &&
              (typeof value !== "string" || value.length <= 64),
          );
        },
      ),
    );
  });
});

import { CONTEXT } from "../fresh-stack";
import { PCR0_CONDITION as PCR0, sealingKeyGranting as sealingKey } from "./sealing-key.examples";
import { sealingKeyTimeWindow } from "./sealing-key-time-window";

const OPENS = { DateGreaterThan: { "aws:CurrentTime": "2026-12-05T00:00:00Z" } };
const CLOSES = { DateLessThan: { "aws:CurrentTime": "2027-02-26T00:00:00Z" } };

describe("rule sealing-key-time-window", () => {
  it("passes a grant that opens at the release's activation and closes at expiry", () => {
    expect(sealingKeyTimeWindow.check(sealingKey({ ...PCR0, ...OPENS, ...CLOSES }), CONTEXT)).toEqual([]);
  });
  it("fails a grant without an activation time (no activation delay)", () => {
    expect(sealingKeyTimeWindow.check(sealingKey({ ...PCR0, ...CLOSES }), CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/without DateGreaterThan aws:CurrentTime/) }),
    ]);
  });
  it("fails a grant that never closes (a manifest that never expires)", () => {
    expect(sealingKeyTimeWindow.check(sealingKey({ ...PCR0, ...OPENS }), CONTEXT)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/without DateLessThan aws:CurrentTime/) }),
    ]);
  });
});

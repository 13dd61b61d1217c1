import { parseArgs } from "node:util";
import type { Command } from "../../../client/cli/command";
import { UsageError } from "../../../client/cli/command";
import { main } from "../../../client/cli/main";
import { VettidError } from "../../../lib/errors";
import { captureIo } from "./capture-io";

const capture = () => captureIo();

const echo: Command = {
  name: "admin invite",
  summary: "test command",
  usage: "vettid admin invite --api URL",
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { api: { type: "string" }, fail: { type: "string" } },
      strict: true,
    });
    if (!values.api) throw new UsageError("--api is required");
    if (values.fail === "vettid") throw new VettidError("INVITATION_USED", "already used");
    if (values.fail === "crash") throw new Error("boom");
    io.stdout(`${values.api}\n`);
    return 0;
  },
};

describe("bin/vettid main", () => {
  it("dispatches multi-word commands and returns their exit code", async () => {
    const io = capture();
    expect(await main(["admin", "invite", "--api", "http://x"], io, [echo])).toBe(0);
    expect(io.out).toBe("http://x\n");
  });

  it("exits 2 with usage for unknown commands, bad options and missing arguments", async () => {
    for (const argv of [["nope"], ["admin", "invite", "--bogus"], ["admin", "invite"], []]) {
      const io = capture();
      expect(await main(argv, io, [echo])).toBe(2);
    }
  });

  it("prints one line for errors and a stack only with --debug", async () => {
    const quiet = capture();
    expect(await main(["admin", "invite", "--api", "x", "--fail", "vettid"], quiet, [echo])).toBe(1);
    expect(quiet.err).toBe("error: INVITATION_USED: already used\n");

    const loud = capture();
    expect(await main(["admin", "invite", "--api", "x", "--fail", "crash", "--debug"], loud, [echo])).toBe(1);
    expect(loud.err.split("\n").length).toBeGreaterThan(3);
  });

  it("lists commands under --help and prints the version", async () => {
    const io = capture();
    expect(await main(["--help"], io, [echo])).toBe(0);
    expect(io.out).toContain("admin invite");
    const v = capture();
    expect(await main(["--version"], v, [echo])).toBe(0);
    expect(v.out).toMatch(/^vettid \d+\.\d+\.\d+/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../../client/cli/command";
import { type PinSource, readPin } from "../../../client/cli/pin-input";
import { captureIo } from "./capture-io";

describe("PIN input: --pin, --pin-file, VETTID_PIN, the terminal", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-pin-"));
  const pinFile = join(dir, "pin");
  writeFileSync(pinFile, "from-file-1\nsecond line\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const source = (value?: string, file?: string): PinSource => ({
    flag: "pin",
    value,
    fileFlag: "pin-file",
    file,
    env: "VETTID_PIN",
    question: "vault PIN: ",
  });
  const withPrompt = (env: NodeJS.ProcessEnv, answers: string[]) => {
    const asked: string[] = [];
    const io = captureIo(env);
    io.prompt = async (question) => {
      asked.push(question);
      return answers.shift() ?? "";
    };
    return { io, asked };
  };

  it("takes --pin first, then --pin-file (its first line), then VETTID_PIN, then the terminal", async () => {
    // Prepare
    const env = { VETTID_PIN: "from-env-1" };
    const terminal = withPrompt({}, ["typed-123"]);

    // Act
    const fromFlag = await readPin(source("from-flag-1"), captureIo(env));
    const fromFile = await readPin(source(undefined, pinFile), captureIo(env));
    const fromEnv = await readPin(source(), withPrompt(env, ["never-asked"]).io);
    const fromTerminal = await readPin(source(), terminal.io);

    // Assess
    expect([fromFlag, fromFile, fromEnv, fromTerminal]).toEqual([
      "from-flag-1",
      "from-file-1",
      "from-env-1",
      "typed-123",
    ]);
    expect(terminal.asked).toEqual(["vault PIN: "]);
  });

  it("asks twice for a PIN being set, and refuses two different answers", async () => {
    // Prepare
    const same = withPrompt({}, ["new-pin-1", "new-pin-1"]);
    const differ = withPrompt({}, ["new-pin-1", "new-pin-2"]);

    // Act
    const pin = await readPin({ ...source(), confirm: true }, same.io);
    const mismatch = readPin({ ...source(), confirm: true }, differ.io);

    // Assess
    expect(pin).toBe("new-pin-1");
    expect(same.asked).toHaveLength(2);
    await expect(mismatch).rejects.toThrow(/do not match/);
  });

  it.each([
    ["both --pin and --pin-file", source("from-flag-1", "/some/file"), /give --pin or --pin-file, not both/],
    ["no source and no terminal", source(), /a PIN is required: --pin P, --pin-file F or VETTID_PIN/],
    ["a PIN shorter than six characters", source("12345"), /at least 6 characters/],
    ["a PIN longer than 1024 bytes", source("é".repeat(600)), /at most 1024 bytes/],
    ["a PIN file that cannot be read", source(undefined, "/nonexistent/pin"), /cannot read PIN file/],
  ])("refuses %s with a usage error", async (_what, pinSource, message) => {
    // Act
    const attempt = readPin(pinSource, captureIo({}));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(readPin(pinSource, captureIo({}))).rejects.toThrow(message);
  });
});

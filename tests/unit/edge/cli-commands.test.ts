import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo } from "../../../client/cli/command";
import { main } from "../../../client/cli/main";

function io(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: "", stderr: "" };
  const streams: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: { VETTID_ENDPOINTS: "/nonexistent/endpoints.json", ...env },
  };
  return { out, streams };
}

describe("bin/vettid admin invite and enroll: usage and errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    [["admin", "invite"], /--api is required/],
    [["admin", "invite", "--api", "ftp://x"], /http\(s\) URL/],
    [["admin", "invite", "--api", "http://127.0.0.1:1", "--bogus"], /Unknown option/],
    [["enroll", "--api", "http://127.0.0.1:1", "--state", "d"], /--invite is required/],
    [["enroll", "--api", "http://127.0.0.1:1", "--invite", "nope", "--state", "d"], /XXXX-XXXX-XXXX-XXXX/],
    [["enroll", "--api", "http://127.0.0.1:1", "--invite", "ABCD-EFGH-JKMN-PQRS"], /--state is required/],
    [
      // a pairing code with its last symbol mistyped
      ["enroll", "--api", "http://127.0.0.1:1", "--invite", `${"0000-".repeat(16)}0000`, "--state", "d"],
      /--invite .*pairing code.*checksum does not match: a symbol is mistyped/,
    ],
  ])("%j is a usage error (exit 2)", async (argv, message) => {
    // Prepare
    const { out, streams } = io();
    // Act
    const code = await main(argv, streams);
    // Assess
    expect(code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe("");
  });

  test("an unreachable edge is one line on stderr and exit 1", async () => {
    // Prepare
    const { out, streams } = io();
    // Act
    const code = await main(
      ["enroll", "--api", "http://127.0.0.1:1", "--invite", "ABCD-EFGH-JKMN-PQRS", "--state", join(dir, "d1")],
      streams,
    );
    // Assess
    expect(code).toBe(1);
    expect(out.stderr.trim().split("\n")).toHaveLength(1);
    expect(out.stderr).toMatch(/^error: UNAVAILABLE: cannot reach/);
  });
});

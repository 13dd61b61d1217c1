import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeNatsServer, findNatsServer, NatsServerBinaryError } from "../../../local/nats";

/** Which nats-server the harness and the launcher run, and what a wrong NATS_SERVER_BIN does. */
describe("findNatsServer and NATS_SERVER_BIN", () => {
  const dir = mkdtempSync(join(tmpdir(), "vettid-natsbin-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const real = findNatsServer({ PATH: `${process.env.PATH}:/usr/sbin` });

  function script(name: string, body: string, mode = 0o755): string {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, mode);
    return path;
  }

  it("uses NATS_SERVER_BIN when it is a nats-server, and reports its version", () => {
    // Act
    const found = describeNatsServer({ NATS_SERVER_BIN: real, PATH: "" });
    // Assess
    expect(found.path).toBe(real);
    expect(found.version).toMatch(/^v\d+\.\d+\.\d+/);
  });

  it.each([
    ["a missing file", () => join(dir, "missing"), /NATS_SERVER_BIN: no such file/],
    ["a directory", () => dir, /NATS_SERVER_BIN: not a file/],
    ["a file that is not executable", () => script("plain", "exit 0", 0o644), /NATS_SERVER_BIN: not executable/],
    ["an executable that is not nats-server", () => script("other", "echo hello"), /--version` printed "hello"/],
    ["an executable that fails", () => script("failing", "exit 3"), /--version` failed/],
  ])("refuses %s, without falling back to the one on PATH", (_what, make, message) => {
    // Prepare
    const binary = make();
    // Act
    const act = () => findNatsServer({ NATS_SERVER_BIN: binary, PATH: `${process.env.PATH}:/usr/sbin` });
    // Assess
    expect(act).toThrow(NatsServerBinaryError);
    expect(act).toThrow(message);
    expect(act).toThrow(binary);
  });

  it("looks on PATH when NATS_SERVER_BIN is not set", () => {
    expect(findNatsServer({ PATH: join(real, "..") })).toBe(real);
  });
});

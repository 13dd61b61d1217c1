import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireStateLock, STATE_LOCK_FILE, StateDirInUseError } from "../../../local/launcher/state-lock";

describe("the state directory lock of the local launcher", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vettid-lock-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => join(dir, STATE_LOCK_FILE);

  it("is taken in an empty directory and released by its owner", () => {
    // Act
    const lock = acquireStateLock(dir, 4242, () => true);
    const held = readFileSync(lockFile(), "utf8");
    lock.release();
    // Assess
    expect(held).toBe("4242\n");
    expect(existsSync(lockFile())).toBe(false);
  });

  it("refuses while a live launcher holds it, and leaves its lock alone", () => {
    // Prepare
    acquireStateLock(dir, 1111, () => true);
    // Act
    const act = () => acquireStateLock(dir, 2222, (pid) => pid === 1111);
    // Assess
    expect(act).toThrow(StateDirInUseError);
    expect(act).toThrow(/another launcher \(pid 1111\) is running on/);
    expect(readFileSync(lockFile(), "utf8")).toBe("1111\n");
  });

  it.each([
    ["a dead launcher's pid", "1111\n"],
    ["no pid at all", ""],
    ["garbage", "not a pid\n"],
  ])("takes over a stale lock holding %s", (_what, content) => {
    // Prepare
    writeFileSync(lockFile(), content);
    // Act
    const lock = acquireStateLock(dir, 2222, () => false);
    // Assess
    expect(readFileSync(lockFile(), "utf8")).toBe("2222\n");
    lock.release();
  });

  it("does not remove a lock another launcher took over in the meantime", () => {
    // Prepare
    const lock = acquireStateLock(dir, 1111, () => true);
    writeFileSync(lockFile(), "3333\n");
    // Act
    lock.release();
    // Assess
    expect(readFileSync(lockFile(), "utf8")).toBe("3333\n");
  });
});

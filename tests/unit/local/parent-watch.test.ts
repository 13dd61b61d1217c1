import { watchParent } from "../../../local/launcher/parent-watch";

describe("the launcher's watch of its parent process", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("says nothing while the parent stays, and once when it is gone", () => {
    // Prepare
    let ppid = 100;
    const gone = jest.fn();
    watchParent(gone, { ppid: () => ppid, intervalMs: 10 });
    // Act
    jest.advanceTimersByTime(50);
    const whileThere = gone.mock.calls.length;
    ppid = 1;
    jest.advanceTimersByTime(50);
    // Assess
    expect(whileThere).toBe(0);
    expect(gone).toHaveBeenCalledTimes(1);
  });

  it("stops watching when asked", () => {
    // Prepare
    let ppid = 100;
    const gone = jest.fn();
    const stop = watchParent(gone, { ppid: () => ppid, intervalMs: 10 });
    // Act
    stop();
    ppid = 1;
    jest.advanceTimersByTime(50);
    // Assess
    expect(gone).not.toHaveBeenCalled();
  });
});

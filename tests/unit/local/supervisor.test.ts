import {
  type ChildExit,
  LAUNCHER_RESTART_BACKOFF,
  RestartBackoff,
  type SupervisedChild,
  superviseChildren,
} from "../../../local/launcher/supervisor";

describe("RestartBackoff (the launcher's restart policy)", () => {
  it("doubles the delay per crash in a row, up to the maximum", () => {
    // Prepare
    const backoff = new RestartBackoff({ baseMs: 100, maxMs: 500, stableMs: 10_000, maxCrashes: 10, windowMs: 1 });
    // Act: crashes far apart in time (outside the window), each after a short run
    const delays = [0, 10, 20, 30, 40].map((at) => backoff.afterExit(at * 1_000, 5));
    // Assess
    expect(delays.map((d) => (d.restart ? d.delayMs : undefined))).toEqual([100, 200, 400, 500, 500]);
    expect(delays.map((d) => (d.restart ? d.attempt : undefined))).toEqual([1, 2, 3, 4, 5]);
  });

  it("starts again from the base delay after a run of stableMs", () => {
    // Prepare
    const backoff = new RestartBackoff({ baseMs: 100, maxMs: 5_000, stableMs: 1_000, maxCrashes: 10, windowMs: 1 });
    backoff.afterExit(0, 5);
    backoff.afterExit(10_000, 5);
    // Act
    const afterStable = backoff.afterExit(20_000, 1_000);
    // Assess
    expect(afterStable).toEqual({ restart: true, delayMs: 100, attempt: 3 });
  });

  it("gives up after maxCrashes within the window, and not for crashes spread out", () => {
    // Prepare
    const options = { baseMs: 1, maxMs: 1, stableMs: 1_000, maxCrashes: 3, windowMs: 1_000 };
    const burst = new RestartBackoff(options);
    const spread = new RestartBackoff(options);
    // Act
    const burstDecisions = [0, 100, 200, 300].map((at) => burst.afterExit(at, 5));
    const spreadDecisions = [0, 600, 1_200, 1_800].map((at) => spread.afterExit(at, 5));
    // Assess
    expect(burstDecisions.map((d) => d.restart)).toEqual([true, true, true, false]);
    expect(burstDecisions[3]).toEqual({ restart: false, reason: "4 crashes within 1 s" });
    expect(spreadDecisions.every((d) => d.restart)).toBe(true);
  });

  it("refuses options that cannot work", () => {
    expect(() => new RestartBackoff({ ...LAUNCHER_RESTART_BACKOFF, maxMs: 1 })).toThrow(RangeError);
    expect(() => new RestartBackoff({ ...LAUNCHER_RESTART_BACKOFF, maxCrashes: 0 })).toThrow(RangeError);
  });
});

/** A child process double: `kill()` ends the current run, `restart()` starts the next with a new pid. */
function fakeChild(name: string, options: { failRestarts?: number } = {}) {
  let pid = 100;
  let end: (exit: ChildExit) => void = () => undefined;
  let exit!: Promise<ChildExit>;
  const run = () => {
    exit = new Promise((done) => {
      end = done;
    });
  };
  run();
  let failures = options.failRestarts ?? 0;
  const child = {
    name,
    get pid() {
      return pid;
    },
    exited: () => exit,
    restart: jest.fn(async () => {
      if (failures > 0) {
        failures -= 1;
        throw new Error("port in use\nmore detail");
      }
      pid += 1;
      run();
    }),
    kill: (signal = "SIGKILL") => end({ code: null, signal }),
  };
  return child satisfies SupervisedChild;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("superviseChildren", () => {
  function supervise(children: SupervisedChild[]) {
    const lines: string[] = [];
    const delays: number[] = [];
    const restarted: string[] = [];
    const givenUp: string[] = [];
    const supervision = superviseChildren(children, {
      report: (line) => lines.push(line),
      onRestarted: (child) => restarted.push(`${child.name}:${child.pid}`),
      onGiveUp: (child, reason) => givenUp.push(`${child.name}: ${reason}`),
      backoff: { baseMs: 10, maxMs: 40, stableMs: 1_000, maxCrashes: 3, windowMs: 1_000 },
      now: () => 0,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    return { supervision, lines, delays, restarted, givenUp };
  }

  it("reports a killed child, restarts it after the back-off and reports its new pid; the others stay", async () => {
    // Prepare
    const nats = fakeChild("nats-server");
    const runtime = fakeChild("vault runtime");
    const { lines, delays, restarted } = supervise([nats, runtime]);
    // Act
    runtime.kill("SIGKILL");
    await flush();
    // Assess
    expect(lines).toEqual([
      "supervisor: vault runtime (pid 100) exited (SIGKILL); restarting it with its state (restart 1)",
      "supervisor: vault runtime restarted as pid 101",
    ]);
    expect(delays).toEqual([10]);
    expect(restarted).toEqual(["vault runtime:101"]);
    expect(runtime.restart).toHaveBeenCalledTimes(1);
    expect(nats.restart).not.toHaveBeenCalled();
  });

  it("keeps supervising the restarted child", async () => {
    // Prepare
    const proxy = fakeChild("vsock proxy");
    const { lines, delays } = supervise([proxy]);
    // Act
    proxy.kill();
    await flush();
    proxy.kill("SIGTERM");
    await flush();
    // Assess
    expect(lines.at(-2)).toBe(
      "supervisor: vsock proxy (pid 101) exited (SIGTERM); restarting it with its state (restart 2)",
    );
    expect(lines.at(-1)).toBe("supervisor: vsock proxy restarted as pid 102");
    expect(delays).toEqual([10, 20]);
  });

  it("counts a failed restart as a crash and tries again", async () => {
    // Prepare
    const proxy = fakeChild("vsock proxy", { failRestarts: 1 });
    const { lines, restarted } = supervise([proxy]);
    // Act: the failed restart leaves no process, so exited() of the dead run resolves again at once
    proxy.kill();
    await flush();
    // Assess
    expect(lines).toEqual([
      "supervisor: vsock proxy (pid 100) exited (SIGKILL); restarting it with its state (restart 1)",
      "supervisor: vsock proxy did not start again: port in use",
      "supervisor: trying vsock proxy again (restart 2)",
      "supervisor: vsock proxy restarted as pid 101",
    ]);
    expect(restarted).toEqual(["vsock proxy:101"]);
  });

  it("reports a restart once the topology serves again, and a topology that does not as such", async () => {
    // Prepare
    const nats = fakeChild("nats-server");
    const lines: string[] = [];
    const settled: string[] = [];
    let serving = false;
    superviseChildren([nats], {
      report: (line) => lines.push(line),
      settle: async (child) => {
        settled.push(child.name);
        if (!serving) throw new Error("the proxy reports no attested enclave within 30000 ms\ndetail");
      },
      sleep: async () => undefined,
    });
    // Act
    nats.kill();
    await flush();
    serving = true;
    nats.kill();
    await flush();
    // Assess: settling is not the child's crash; it was restarted once per kill
    expect(settled).toEqual(["nats-server", "nats-server"]);
    expect(nats.restart).toHaveBeenCalledTimes(2);
    expect(lines[1]).toBe(
      "supervisor: nats-server restarted as pid 101; the proxy reports no attested enclave within 30000 ms",
    );
    expect(lines[3]).toBe("supervisor: nats-server restarted as pid 102");
  });

  it("gives up on a child that cannot stay up", async () => {
    // Prepare
    const runtime = fakeChild("vault runtime", { failRestarts: 10 });
    const { lines, givenUp } = supervise([runtime]);
    // Act
    runtime.kill();
    await flush();
    // Assess
    expect(givenUp).toEqual(["vault runtime: 4 crashes within 1 s"]);
    expect(lines.at(-1)).toBe("supervisor: giving up on vault runtime (last exit SIGKILL): 4 crashes within 1 s");
    expect(runtime.restart).toHaveBeenCalledTimes(3);
  });

  it("restarts nothing and reports nothing once stopped (the launcher is stopping its children)", async () => {
    // Prepare
    const nats = fakeChild("nats-server");
    const { supervision, lines } = supervise([nats]);
    // Act
    await supervision.stop();
    nats.kill("SIGTERM");
    await flush();
    // Assess
    expect(lines).toEqual([]);
    expect(nats.restart).not.toHaveBeenCalled();
  });

  it("stop() waits for a restart under way", async () => {
    // Prepare
    let finishRestart: () => void = () => undefined;
    const child = fakeChild("vault runtime");
    child.restart.mockImplementationOnce(
      () =>
        new Promise<void>((done) => {
          finishRestart = done;
        }),
    );
    const { supervision, lines } = supervise([child]);
    child.kill();
    await flush();
    // Act
    let stopped = false;
    const stopping = supervision.stop().then(() => {
      stopped = true;
    });
    await flush();
    const beforeRestartEnded = stopped;
    finishRestart();
    await stopping;
    // Assess
    expect(beforeRestartEnded).toBe(false);
    expect(stopped).toBe(true);
    expect(lines).toHaveLength(1);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  RESTARTS_ENV,
  RestartPolicy,
  Supervisor,
  spawnWorker,
  type Worker,
} from "../../../../vault-enclave/supervisor";

/** A worker that exits when the test says so. */
function fakeWorker() {
  let exit!: (e: { code: number | null; signal: string | null }) => void;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    exit = resolve;
  });
  let stopped = false;
  const worker: Worker = {
    stop: () => {
      stopped = true;
      exit({ code: 0, signal: null });
    },
    exited,
  };
  return { worker, exit, isStopped: () => stopped };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("RestartPolicy", () => {
  it("backs off 1, 2, 4 … 30 s for crashes in a row, and starts over after a stable run", () => {
    const policy = new RestartPolicy();
    const delays = Array.from({ length: 7 }, () => policy.afterExit(1, null, 10));
    expect(delays.map((d) => (d.restart ? d.delayMs : -1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(policy.afterExit(null, "SIGKILL", 60_000)).toEqual({ restart: true, delayMs: 1_000 });
  });

  it("does not restart a clean exit, nor one whose code says it can never run here", () => {
    const policy = new RestartPolicy();
    expect(policy.afterExit(0, null, 5).restart).toBe(false);
    expect(policy.afterExit(69, null, 5)).toMatchObject({ restart: false, reason: expect.stringContaining("69") });
    expect(policy.afterExit(78, null, 5).restart).toBe(false);
  });

  it("refuses a policy that makes no sense", () => {
    expect(() => new RestartPolicy({ baseMs: 0 })).toThrow(RangeError);
    expect(() => new RestartPolicy({ baseMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});

describe("Supervisor", () => {
  it("restarts a crashed worker after the back-off, telling it how many came before", async () => {
    const workers: ReturnType<typeof fakeWorker>[] = [];
    const started: number[] = [];
    const slept: number[] = [];
    const supervisor = new Supervisor({
      start: (restarts) => {
        started.push(restarts);
        const w = fakeWorker();
        workers.push(w);
        return w.worker;
      },
      now: () => 0,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const running = supervisor.run();
    await tick();
    workers[0]?.exit({ code: 1, signal: null });
    await tick();
    workers[1]?.exit({ code: null, signal: "SIGKILL" });
    await tick();
    workers[2]?.exit({ code: 69, signal: null });
    expect(await running).toEqual({ code: 69, signal: null });
    expect(started).toEqual([0, 1, 2]);
    expect(slept).toEqual([1_000, 2_000]);
    expect(supervisor.restartCount).toBe(2);
  });

  it("stops the worker on stop() and starts no other, even during the back-off", async () => {
    const workers: ReturnType<typeof fakeWorker>[] = [];
    let wake!: () => void;
    const supervisor = new Supervisor({
      start: () => {
        const w = fakeWorker();
        workers.push(w);
        return w.worker;
      },
      sleep: () =>
        new Promise<void>((resolve) => {
          wake = resolve;
        }),
    });
    const running = supervisor.run();
    await tick();
    workers[0]?.exit({ code: 1, signal: null });
    await tick();
    supervisor.stop();
    wake();
    await running;
    expect(workers).toHaveLength(1);

    const again = new Supervisor({
      start: () => {
        const w = fakeWorker();
        workers.push(w);
        return w.worker;
      },
    });
    const second = again.run();
    await tick();
    again.stop();
    expect(await second).toEqual({ code: 0, signal: null });
    expect(workers[1]?.isStopped()).toBe(true);
  });
});

describe("spawnWorker", () => {
  it("runs a real process until it exits, restarted by the supervisor after each crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vettid-supervisor-"));
    try {
      const script = join(dir, "worker.js");
      const record = join(dir, "runs.txt");
      // Crashes on its first two runs, then exits cleanly; records what it was told.
      writeFileSync(
        script,
        `const fs = require("node:fs");
         fs.appendFileSync(${JSON.stringify(record)}, process.env.${RESTARTS_ENV} + "\\n");
         process.exit(Number(process.env.${RESTARTS_ENV}) < 2 ? 3 : 0);`,
      );
      const supervisor = new Supervisor({
        start: (restarts) => spawnWorker(process.execPath, [script], { PATH: process.env.PATH }, restarts),
        policy: { baseMs: 1, maxMs: 4 },
      });
      expect(await supervisor.run()).toEqual({ code: 0, signal: null });
      expect(readFileSync(record, "utf8").trim().split("\n")).toEqual(["0", "1", "2"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops a real process with SIGTERM", async () => {
    const worker = spawnWorker(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { PATH: process.env.PATH }, 0);
    worker.stop();
    expect(await worker.exited).toEqual({ code: null, signal: "SIGTERM" });
  });
});

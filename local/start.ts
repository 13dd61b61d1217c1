/**
 * `npm start`: starts the local topology (dev only), runs the device journey and
 * stops everything; exit 0 when the journey passed.
 * `npm start -- --serve`: starts the topology and stays up until SIGINT/SIGTERM,
 * restarting a child process that exits (local/launcher/supervisor.ts).
 * `--runtimes 2` adds a second vault host (proxy and runtime) serving the same vaults,
 * the vault leases deciding which runtime answers: stop one and the other takes over.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { runJourney } from "./journey";
import { watchParent } from "./launcher/parent-watch";
import { createProgress } from "./launcher/progress";
import { startTopology, type Topology } from "./launcher/topology";

const USAGE = "usage: npm start [-- --serve] [--runtimes 1|2] [--state-dir DIR]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      serve: { type: "boolean" },
      "state-dir": { type: "string" },
      runtimes: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runtimes = values.runtimes === undefined ? 1 : Number(values.runtimes);
  if (runtimes !== 1 && runtimes !== 2) {
    process.stderr.write(`error: --runtimes is 1 or 2, not ${values.runtimes}\n${USAGE}\n`);
    return 2;
  }
  const progress = createProgress();
  const stateDir = resolve(values["state-dir"] ?? ".vettid/local");

  let topology: Topology | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (topology?.stop() ?? Promise.resolve()).then(() => progress.info("stopped every child process"));
    return stopping;
  };
  // a signal during start-up stops what has started. `on`, not `once`: a terminal's
  // Ctrl-C reaches the whole process group and may be relayed again, and a second
  // signal without a listener would kill the launcher before it has stopped its children.
  // `npm start` runs this process directly (`exec` in the script), and npm passes SIGINT and
  // SIGTERM on to it; when npm itself is gone (SIGKILL), the parent watch stops everything.
  const signalled = new Promise<void>((done) => {
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
    process.on("SIGHUP", done);
    watchParent(() => {
      progress.info("the parent process is gone: stopping");
      done();
    });
  });

  if (values.serve) {
    // a child the supervisor gives up on stops the whole topology, with exit 1
    let gaveUp: string | undefined;
    let giveUp: () => void = () => undefined;
    const givenUp = new Promise<void>((done) => {
      giveUp = done;
    });
    topology = await startTopology(stateDir, progress, {
      supervise: true,
      runtimes,
      onGiveUp: (child, reason) => {
        gaveUp = `${child} kept crashing (${reason})`;
        giveUp();
      },
    });
    progress.info(
      `ready: endpoints in ${resolve(stateDir, "endpoints.json")}; a child that exits is restarted; Ctrl-C stops`,
    );
    await Promise.race([signalled, givenUp]);
    await stop();
    if (gaveUp) {
      process.stderr.write(`error: ${gaveUp}; stopped the topology\n`);
      return 1;
    }
    return 0;
  }
  topology = await startTopology(stateDir, progress, { runtimes });

  // Ctrl-C during the journey stops everything too
  signalled.then(async () => {
    await stop();
    process.exit(130);
  });
  try {
    await runJourney(topology, progress);
    progress.info("journey passed");
    return 0;
  } catch (err) {
    progress.info(`journey failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  },
);

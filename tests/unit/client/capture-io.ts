import type { CliIo } from "../../../client/cli/command";

/** A CliIo that collects stdout and stderr in memory. */
export function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    env,
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
  };
  return io;
}

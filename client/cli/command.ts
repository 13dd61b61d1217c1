/** Standard streams of a CLI run, injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /**
   * Reads one line from the terminal without echoing it (for PINs). Absent when no
   * terminal is attached, so a command never waits on a pipe for a secret.
   */
  prompt?: (question: string) => Promise<string>;
}

/** One `bin/vettid` sub-command. */
export interface Command {
  /** Words that select it, e.g. `verify-manifest` or `admin invite`. */
  name: string;
  summary: string;
  /** One line: the synopsis printed after every usage error. */
  usage: string;
  /** The longer text `--help` prints below the usage line (options, exit codes). */
  help?: string;
  /** Returns the exit code: 0 success, 1 a negative result or failure, 2 usage. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Wrong or missing arguments: exit code 2 with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Prints `value` as the command's JSON result (`--json`). */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Standard streams of a CLI run, injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** One `bin/vettid` sub-command. */
export interface Command {
  /** Words that select it, e.g. `verify-manifest` or `admin invite`. */
  name: string;
  summary: string;
  usage: string;
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

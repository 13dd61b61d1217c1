import { parseArgs } from "node:util";
import { isVettidError } from "../../lib/errors";
import { type CliIo, type Command, UsageError } from "./command";
import { commands } from "./commands";

const VERSION = "0.1.0";

function help(list: Command[]): string {
  const width = Math.max(8, ...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: vettid <command> [options]",
    "",
    "commands:",
    ...(lines.length > 0 ? lines : ["  (none yet)"]),
    "",
    "options: --help, --version, --debug (stack traces on errors)",
    "exit codes: 0 success, 1 invalid or failed, 2 usage",
    "",
  ].join("\n");
}

/** Finds the command whose name matches the longest prefix of `words`. */
function select(words: string[], list: Command[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of list) {
    const parts = command.name.split(" ");
    if (parts.every((p, i) => words[i] === p) && (!best || parts.length > best.command.name.split(" ").length)) {
      best = { command, rest: words.slice(parts.length) };
    }
  }
  return best;
}

/**
 * Runs the CLI and returns its exit code. Errors become one line on stderr
 * (with the stack only under `--debug`).
 */
export async function main(argv: string[], io: CliIo = defaultIo(), list: Command[] = commands): Promise<number> {
  const debug = argv.includes("--debug");
  const words = argv.filter((a) => a !== "--debug");
  const { values } = parseArgs({
    args: words,
    options: { help: { type: "boolean" }, version: { type: "boolean" } },
    strict: false,
  });
  if (values.version && words.length === 1) {
    io.stdout(`vettid ${VERSION}\n`);
    return 0;
  }
  const selected = select(words, list);
  if (!selected) {
    if (words.length === 0 || values.help) {
      io.stdout(help(list));
      return words.length === 0 ? 2 : 0;
    }
    io.stderr(`error: unknown command "${words[0]}"; see vettid --help\n`);
    return 2;
  }
  const { command, rest } = selected;
  if (rest.includes("--help")) {
    io.stdout(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`error: ${(err as Error).message}\nusage: ${command.usage}\n`);
      return 2;
    }
    const message = isVettidError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
    io.stderr(`error: ${message}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return 1;
  }
}

function defaultIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
}

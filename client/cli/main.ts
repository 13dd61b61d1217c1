import { parseArgs } from "node:util";
import { isVettidError } from "../../lib/errors";
import { type CliIo, type Command, UsageError } from "./command";
import { commands } from "./commands";
import { readHiddenLine } from "./terminal";

const VERSION = "0.1.0";
const HELP_FLAGS = ["--help", "-h"];

function help(list: Command[]): string {
  const width = Math.max(8, ...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: vettid <command> [options]",
    "",
    "commands:",
    ...(lines.length > 0 ? lines : ["  (none yet)"]),
    "",
    "vettid <command> --help (or -h, or help) prints a command's options.",
    "options: --help, --version, --debug (stack traces on errors); --json on every command",
    "exit codes: 0 success, 1 invalid or failed, 2 usage",
    "",
  ].join("\n");
}

function commandHelp(command: Command): string {
  return `usage: ${command.usage}\n${command.help ? `\n${command.help}\n` : ""}`;
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

/** The commands of a group (`vettid admin` → `admin invite`, …). */
function group(word: string | undefined, list: Command[]): Command[] {
  return word === undefined ? [] : list.filter((c) => c.name.startsWith(`${word} `));
}

/** True when the arguments (before a `--`) ask for help: `-h`, `--help`, or `help` first. */
function wantsHelp(rest: string[]): boolean {
  const end = rest.indexOf("--");
  const options = end === -1 ? rest : rest.slice(0, end);
  return options[0] === "help" || options.some((a) => HELP_FLAGS.includes(a));
}

/** C0 and C1 controls and DEL: what a terminal may read as the start of an escape sequence. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it matches
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * An error as the one line a user sees: the stable code and the server's detail. The
 * detail may come from the host (an unauthenticated `error` message), so control
 * characters are shown as U+FFFD: no escape sequence reaches the terminal.
 */
export function errorLine(err: unknown): string {
  const base = isVettidError(err) ? `${err.code}: ${err.message}` : (err as Error)?.message || String(err);
  const retryAfterMs = (err as { retryAfterMs?: unknown })?.retryAfterMs;
  const retry =
    typeof retryAfterMs === "number" && retryAfterMs > 0 ? ` (try again in ${Math.ceil(retryAfterMs / 1000)} s)` : "";
  return `${base}${retry}`.replace(/\s*\n\s*/g, " ").replace(CONTROL_CHARACTERS, "\uFFFD");
}

/**
 * Runs the CLI and returns its exit code. Errors become one line on stderr
 * (with the stack only under `--debug`); every usage error prints the command's
 * one-line usage.
 */
export async function main(argv: string[], io: CliIo = defaultIo(), list: Command[] = commands): Promise<number> {
  const debug = argv.includes("--debug");
  const words = argv.filter((a) => a !== "--debug");
  const { values } = parseArgs({
    args: words,
    options: { help: { type: "boolean", short: "h" }, version: { type: "boolean" } },
    strict: false,
  });
  if (values.version && words.length === 1) {
    io.stdout(`vettid ${VERSION}\n`);
    return 0;
  }
  if (words[0] === "help" || (words.length === 1 && HELP_FLAGS.includes(words[0]!))) {
    const topic = words[0] === "help" ? select(words.slice(1), list) : undefined;
    io.stdout(topic ? commandHelp(topic.command) : help(list));
    return 0;
  }
  const selected = select(words, list);
  if (!selected) {
    const members = group(words[0], list);
    if (members.length > 0) {
      const names = members.map((c) => c.name.split(" ").slice(1).join(" ")).join(" | ");
      const text = `usage: vettid ${words[0]} <${names}> [options]\n`;
      if (wantsHelp(words.slice(1))) {
        io.stdout(text);
        return 0;
      }
      io.stderr(`${words[1] === undefined ? "" : `error: unknown ${words[0]} command "${words[1]}"\n`}${text}`);
      return 2;
    }
    if (words.length === 0 || values.help) {
      io.stdout(help(list));
      return words.length === 0 ? 2 : 0;
    }
    io.stderr(`error: unknown command "${words[0]}"; see vettid --help\n`);
    return 2;
  }
  const { command, rest } = selected;
  if (wantsHelp(rest)) {
    io.stdout(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`error: ${errorLine(err)}\nusage: ${command.usage}\n`);
      return 2;
    }
    io.stderr(`error: ${errorLine(err)}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return 1;
  }
}

function defaultIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    ...(process.stdin.isTTY ? { prompt: (question: string) => readHiddenLine(question) } : {}),
  };
}
